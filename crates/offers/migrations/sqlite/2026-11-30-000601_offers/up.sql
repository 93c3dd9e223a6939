-- The offer catalog. Amounts in halalas; `value_hundredths` is the discount's value times 100
-- (percent: 1250 = 12.5 %, fixed: halalas, points multiplier: 200 = double points). `texts`
-- holds title, description and terms in both languages (JSON); `targeting` the segments,
-- tiers and customer IDs it is for (JSON, empty lists = anyone). Budgets are null when
-- unlimited; their `used_*` counters move under the row's lock and can never pass them.
-- Who created or edited an offer, and what it was before, is in the audit log (kit).
CREATE TABLE offers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id TEXT NOT NULL UNIQUE,
    texts TEXT NOT NULL,
    category TEXT NOT NULL,
    discount_type TEXT NOT NULL CHECK (discount_type IN ('percent', 'fixed', 'free_shipping', 'points_multiplier')),
    value_hundredths BIGINT NOT NULL CHECK (value_hundredths >= 0),
    min_purchase_minor BIGINT NOT NULL CHECK (min_purchase_minor >= 0),
    valid_from TIMESTAMP NOT NULL,
    valid_until TIMESTAMP NOT NULL CHECK (valid_until > valid_from),
    targeting TEXT NOT NULL,
    per_customer_limit BIGINT NOT NULL CHECK (per_customer_limit > 0),
    budget_redemptions BIGINT CHECK (budget_redemptions > 0),
    budget_amount_minor BIGINT CHECK (budget_amount_minor > 0),
    used_redemptions BIGINT NOT NULL DEFAULT 0 CHECK (used_redemptions >= 0),
    used_amount_minor BIGINT NOT NULL DEFAULT 0 CHECK (used_amount_minor >= 0),
    updated_at TIMESTAMP NOT NULL,
    CHECK (budget_redemptions IS NULL OR used_redemptions <= budget_redemptions),
    CHECK (budget_amount_minor IS NULL OR used_amount_minor <= budget_amount_minor)
);
CREATE INDEX offers_by_end ON offers (valid_until);

-- One row per apply; rolled back at most once. Its budget share and the customer's count are
-- given back on rollback (`status` leaves 'applied').
CREATE TABLE redemptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    redemption_id TEXT NOT NULL UNIQUE,
    offer_id TEXT NOT NULL REFERENCES offers (offer_id),
    customer_id TEXT NOT NULL,
    discount_type TEXT NOT NULL,
    order_amount_minor BIGINT,
    savings_minor BIGINT NOT NULL CHECK (savings_minor >= 0),
    extra_points BIGINT NOT NULL CHECK (extra_points >= 0),
    status TEXT NOT NULL CHECK (status IN ('applied', 'rolled_back')),
    applied_by TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    rolled_back_at TIMESTAMP,
    rolled_back_by TEXT,
    rollback_reason TEXT
);
CREATE INDEX redemptions_by_customer ON redemptions (customer_id, id);

-- How many of a customer's redemptions of an offer are applied (not rolled back): the
-- per-customer limit reads one row, whatever the customer's history.
CREATE TABLE offer_uses (
    offer_id TEXT NOT NULL REFERENCES offers (offer_id),
    customer_id TEXT NOT NULL,
    applied BIGINT NOT NULL CHECK (applied >= 0),
    PRIMARY KEY (offer_id, customer_id)
);
CREATE INDEX offer_uses_by_customer ON offer_uses (customer_id);
