-- What was sent to whom: one row per message (its text rendered in the customer's language
-- at send time) and one per channel it was meant for, with that channel's fate. The in-app
-- feed is the messages with `in_app`; the deliverer works through the due deliveries.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    notification_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    category TEXT NOT NULL,
    template TEXT,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    language TEXT NOT NULL,
    in_app BOOLEAN NOT NULL,
    read_at TIMESTAMP,
    -- The domain event it was made from: one notification per event, however often delivered.
    event_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_feed ON notifications (customer_id, id) WHERE in_app;
CREATE INDEX notifications_unread ON notifications (customer_id) WHERE in_app AND read_at IS NULL;

CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    notification_id BIGINT NOT NULL REFERENCES notifications (id),
    customer_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'suppressed', 'scheduled', 'failed')),
    reason TEXT,
    recipient TEXT,
    digest BOOLEAN NOT NULL,
    due_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error TEXT,
    sent_at TIMESTAMP,
    -- The key of the message it went out in (a digest carries several deliveries).
    batch TEXT,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (notification_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE status IN ('queued', 'scheduled');
CREATE INDEX deliveries_digest ON deliveries (customer_id, channel, due_at)
    WHERE digest AND status IN ('queued', 'scheduled');
