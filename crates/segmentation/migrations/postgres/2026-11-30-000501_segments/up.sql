-- Each customer's current segment, how it was decided, and the figures it was decided on.
CREATE TABLE segment_assignments (
    customer_id TEXT PRIMARY KEY,
    segment TEXT NOT NULL CHECK (segment IN ('vip', 'frequent', 'occasional', 'inactive', 'at_risk')),
    source TEXT NOT NULL CHECK (source IN ('computed', 'manual')),
    reason TEXT,
    -- The analytics figures of the last computation (JSON), and their 12-month spend for stats.
    metrics TEXT NOT NULL,
    spent_last_year_minor BIGINT NOT NULL DEFAULT 0,
    assigned_at TIMESTAMP NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX segment_assignments_by_segment ON segment_assignments (segment);
CREATE INDEX segment_assignments_by_age ON segment_assignments (computed_at);

-- Every change of a customer's segment, append-only.
CREATE TABLE segment_changes (
    id BIGSERIAL PRIMARY KEY,
    customer_id TEXT NOT NULL,
    from_segment TEXT,
    to_segment TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    metrics TEXT NOT NULL,
    actor TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX segment_changes_by_customer ON segment_changes (customer_id, id);
