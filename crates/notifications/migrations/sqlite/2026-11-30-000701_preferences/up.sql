-- Each customer's notification preferences; a customer without a row has the defaults.
-- Security messages are always on and not stored. Quiet hours are HH:MM on the customer's
-- clock in an IANA zone (all three or none).
CREATE TABLE preferences (
    customer_id TEXT PRIMARY KEY,
    email BOOLEAN NOT NULL,
    sms BOOLEAN NOT NULL,
    push BOOLEAN NOT NULL,
    in_app BOOLEAN NOT NULL,
    promotional BOOLEAN NOT NULL,
    order_updates BOOLEAN NOT NULL,
    loyalty_updates BOOLEAN NOT NULL,
    frequency TEXT NOT NULL CHECK (frequency IN ('instant', 'hourly', 'daily', 'weekly')),
    quiet_start TEXT,
    quiet_end TEXT,
    time_zone TEXT,
    language TEXT NOT NULL CHECK (language IN ('ar', 'en')),
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL) AND (quiet_start IS NULL) = (time_zone IS NULL))
);
