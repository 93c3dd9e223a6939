-- One account per customer: the cached balance and tier; the ledger below is the truth.
CREATE TABLE loyalty_accounts (
    customer_id TEXT PRIMARY KEY,
    points BIGINT NOT NULL DEFAULT 0,
    lifetime_points BIGINT NOT NULL DEFAULT 0,
    tier TEXT NOT NULL DEFAULT 'bronze'
        CHECK (tier IN ('bronze', 'silver', 'gold', 'platinum')),
    tier_since TIMESTAMP NOT NULL,
    total_spent_minor BIGINT NOT NULL DEFAULT 0,
    currency TEXT NOT NULL DEFAULT 'SAR',
    -- The soonest expiry among open lots and its points, kept with every write so a read
    -- needs no ledger scan to know whether anything is due.
    next_expiry_at TIMESTAMP,
    next_expiry_points BIGINT NOT NULL DEFAULT 0,
    -- The tier basis as of the last write, valid until its oldest entry may leave the window.
    qualifying_points BIGINT NOT NULL DEFAULT 0,
    qualifying_until TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The expiry sweep finds accounts with due lots through this.
CREATE INDEX loyalty_accounts_next_expiry ON loyalty_accounts (next_expiry_at);

-- Append-only: every movement of points is one row; corrections are new rows.
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL REFERENCES loyalty_accounts (customer_id),
    -- One movement is at most 1,000,000 points, so INTEGER; its SUM is BIGINT on both backends.
    entry_type TEXT NOT NULL
        CHECK (entry_type IN ('purchase', 'referral', 'review', 'birthday', 'reward', 'manual',
                              'redeem', 'expire', 'reversal')),
    points INTEGER NOT NULL,
    balance_after BIGINT NOT NULL,
    -- For earning entries: points of this lot not yet spent, expired or reversed.
    remaining INTEGER NOT NULL DEFAULT 0 CHECK (remaining >= 0),
    expires_at TIMESTAMP,
    reason TEXT NOT NULL,
    order_id TEXT,
    reward_id TEXT,
    -- The entry a reversal undoes, or the lot an expiry closes.
    related_entry_id BIGINT REFERENCES ledger_entries (id),
    purchase_amount_minor BIGINT,
    currency TEXT,
    actor TEXT NOT NULL,
    request_id TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX ledger_entries_by_customer ON ledger_entries (customer_id, id);
CREATE INDEX ledger_entries_open_lots ON ledger_entries (customer_id, expires_at)
    WHERE remaining > 0;
-- One earning per order and one reversal per entry: retries can never credit twice.
CREATE UNIQUE INDEX ledger_entries_one_earn_per_order ON ledger_entries (customer_id, order_id)
    WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_entries_one_reversal ON ledger_entries (related_entry_id)
    WHERE entry_type = 'reversal';
