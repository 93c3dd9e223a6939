-- Special-date reward instances: one per customer, type and occurrence (the birthday of a
-- year, a holiday of the calendar, a milestone), so generating them again changes nothing.
-- Names, points and discount are copied from the catalog when the instance is issued.
CREATE TABLE reward_instances (
    id BIGSERIAL PRIMARY KEY,
    reward_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    reward_type TEXT NOT NULL CHECK (reward_type IN ('birthday', 'anniversary', 'holiday', 'milestone')),
    occurrence TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_ar TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points > 0),
    discount_percent INTEGER NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
    special_date DATE NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE NOT NULL CHECK (valid_until >= valid_from),
    claimed_at TIMESTAMP,
    claimed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (customer_id, reward_type, occurrence)
);
CREATE INDEX reward_instances_by_customer ON reward_instances (customer_id, valid_from);
