-- Support tickets (SPEC §3.8): one row per ticket with its status, SLA due time, assignee and
-- its rating; its comments (internal ones hidden from the customer) and every status change.
CREATE TABLE tickets (
    id BIGSERIAL PRIMARY KEY,
    ticket_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('account', 'orders', 'payments', 'returns', 'products', 'technical')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    assignee TEXT,
    sla_due_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP
);
CREATE INDEX tickets_customer ON tickets (customer_id, id);
CREATE INDEX tickets_queue ON tickets (sla_due_at, id) WHERE status IN ('open', 'in_progress');

-- One rating per ticket: the key makes a second one impossible.
CREATE TABLE ticket_ratings (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    feedback TEXT,
    rated_at TIMESTAMP NOT NULL
);

CREATE TABLE ticket_comments (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    author TEXT NOT NULL,
    author_role TEXT NOT NULL,
    message TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, id);

CREATE TABLE ticket_changes (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_changes_ticket ON ticket_changes (ticket_id, id);
