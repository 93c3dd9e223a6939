DROP TABLE daily_purchases;
