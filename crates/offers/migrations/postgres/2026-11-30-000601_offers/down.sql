DROP TABLE offer_uses;
DROP TABLE redemptions;
DROP TABLE offers;
