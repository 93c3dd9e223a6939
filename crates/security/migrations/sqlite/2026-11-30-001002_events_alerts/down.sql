ALTER TABLE security_profiles DROP COLUMN reports;
ALTER TABLE security_profiles DROP COLUMN last_login_country;
ALTER TABLE security_profiles DROP COLUMN last_login_at;
DROP TABLE security_reports;
DROP TABLE security_alerts;
DROP TABLE known_devices;
DROP TABLE security_events;
