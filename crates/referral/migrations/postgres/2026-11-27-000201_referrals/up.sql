-- Referral codes: one active code per customer; regenerating retires the old one.
CREATE TABLE referral_codes (
    code TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);
CREATE UNIQUE INDEX referral_codes_one_active ON referral_codes (customer_id) WHERE active;

-- One referral per referee (a customer is referred once), paid once on first purchase.
CREATE TABLE referrals (
    id BIGSERIAL PRIMARY KEY,
    referrer_id TEXT NOT NULL,
    referee_id TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL REFERENCES referral_codes (code),
    status TEXT NOT NULL CHECK (status IN ('pending', 'completed')),
    referrer_points INTEGER NOT NULL DEFAULT 0,
    referee_points INTEGER NOT NULL DEFAULT 0,
    signed_up_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX referrals_by_referrer ON referrals (referrer_id, id);
