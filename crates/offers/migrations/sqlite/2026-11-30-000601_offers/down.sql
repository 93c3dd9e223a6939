DROP TABLE offer_edits;
DROP TABLE redemptions;
DROP TABLE offers;
