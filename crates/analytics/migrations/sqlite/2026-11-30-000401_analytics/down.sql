DROP TABLE category_spend;
DROP TABLE monthly_spend;
DROP TABLE customer_figures;
DROP TABLE events;
DROP TABLE purchases;
