-- Two-factor authentication (SPEC §3.10): one profile per customer with the TOTP secret
-- sealed under a key ID (AES-256-GCM), the last time step accepted (no replay), and the lock
-- after too many wrong codes; recovery codes as Argon2id hashes, each used once; wrong codes
-- by time, for the lock's window.
CREATE TABLE security_profiles (
    customer_id TEXT PRIMARY KEY,
    two_factor_enabled BOOLEAN NOT NULL,
    totp_key_id TEXT,
    totp_sealed TEXT,
    totp_last_step BIGINT,
    enabled_at TIMESTAMP,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL REFERENCES security_profiles (customer_id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX recovery_codes_unused ON recovery_codes (customer_id) WHERE used_at IS NULL;

CREATE TABLE code_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX code_failures_customer ON code_failures (customer_id, failed_at);
