-- Security events (SPEC §3.10) as the services report them; the devices each customer has
-- logged in from; alerts raised by the rules (at most one open per customer, rule and
-- cause); reports by customers. The profile keeps what the status reads at once: the last
-- login and its country, and the number of reports.
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    ip_address TEXT,
    device_id TEXT,
    country TEXT,
    occurred_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX security_events_customer ON security_events (customer_id, id);
CREATE INDEX security_events_type ON security_events (customer_id, event_type, occurred_at);

CREATE TABLE known_devices (
    customer_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (customer_id, device_id)
);

CREATE TABLE security_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    cause TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by TEXT,
    note TEXT
);
CREATE INDEX security_alerts_customer ON security_alerts (customer_id, id);
CREATE UNIQUE INDEX security_alerts_one_open ON security_alerts (customer_id, rule, cause) WHERE status = 'open';

CREATE TABLE security_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    description TEXT NOT NULL,
    evidence TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX security_reports_customer ON security_reports (customer_id, id);

ALTER TABLE security_profiles ADD COLUMN last_login_at TIMESTAMP;
ALTER TABLE security_profiles ADD COLUMN last_login_country TEXT;
ALTER TABLE security_profiles ADD COLUMN reports INTEGER NOT NULL DEFAULT 0;
