-- Domain events of other services taken in (loyalty's redemptions), by event ID: a
-- redelivery is recognised and changes nothing.
CREATE TABLE domain_events_seen (
    event_id TEXT PRIMARY KEY,
    seen_at TIMESTAMP NOT NULL
);
