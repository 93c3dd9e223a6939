DROP TABLE offer_edits;
DROP TABLE offer_uses;
DROP TABLE redemptions;
DROP TABLE offers;
