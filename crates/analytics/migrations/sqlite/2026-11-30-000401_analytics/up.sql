-- Every purchase as recorded, once per (customer, order); a refund marks it, never deletes it.
CREATE TABLE purchases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    category TEXT NOT NULL,
    category_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('completed', 'refunded')),
    purchased_at TIMESTAMP NOT NULL,
    refunded_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (customer_id, order_id)
);
CREATE INDEX purchases_by_customer ON purchases (customer_id, id);
CREATE INDEX purchases_by_time ON purchases (customer_id, status, purchased_at);

-- Engagement events as recorded.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    event_type TEXT NOT NULL CHECK (event_type IN ('visit', 'review', 'login', 'share')),
    occurred_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_by_customer ON events (customer_id, id);

-- Figures kept on write, so reads never scan a customer's history. Completed purchases only.
CREATE TABLE customer_figures (
    customer_id TEXT PRIMARY KEY,
    purchases BIGINT NOT NULL DEFAULT 0,
    spent_minor BIGINT NOT NULL DEFAULT 0,
    first_purchase_at TIMESTAMP,
    last_purchase_at TIMESTAMP,
    visits BIGINT NOT NULL DEFAULT 0,
    reviews BIGINT NOT NULL DEFAULT 0,
    logins BIGINT NOT NULL DEFAULT 0,
    shares BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

-- Completed purchases per customer and calendar month (UTC), 'YYYY-MM'.
CREATE TABLE monthly_spend (
    customer_id TEXT NOT NULL,
    month TEXT NOT NULL,
    purchases BIGINT NOT NULL DEFAULT 0,
    spent_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, month)
);

-- Completed purchases per customer and category (compared case-insensitively).
CREATE TABLE category_spend (
    customer_id TEXT NOT NULL,
    category_key TEXT NOT NULL,
    category TEXT NOT NULL,
    purchases BIGINT NOT NULL DEFAULT 0,
    spent_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, category_key)
);
