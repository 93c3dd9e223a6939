-- Completed purchases per customer and calendar day (UTC), 'YYYY-MM-DD': the 90-day windows
-- segmentation classifies by read at most 180 rows, however many purchases they hold.
CREATE TABLE daily_purchases (
    customer_id TEXT NOT NULL,
    day TEXT NOT NULL,
    purchases BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, day)
);

INSERT INTO daily_purchases (customer_id, day, purchases)
SELECT customer_id, to_char(purchased_at, 'YYYY-MM-DD'), count(*)
FROM purchases
WHERE status = 'completed'
GROUP BY customer_id, to_char(purchased_at, 'YYYY-MM-DD');
