DROP TABLE code_failures;
DROP TABLE recovery_codes;
DROP TABLE security_profiles;
