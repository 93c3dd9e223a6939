DROP TABLE domain_events_seen;
