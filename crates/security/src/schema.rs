//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    security_profiles (customer_id) {
        customer_id -> Text,
        two_factor_enabled -> Bool,
        totp_key_id -> Nullable<Text>,
        totp_sealed -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        enabled_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        last_login_country -> Nullable<Text>,
        reports -> Integer,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        customer_id -> Text,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    code_failures (id) {
        id -> BigInt,
        customer_id -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    security_events (id) {
        id -> BigInt,
        customer_id -> Text,
        event_type -> Text,
        ip_address -> Nullable<Text>,
        device_id -> Nullable<Text>,
        country -> Nullable<Text>,
        occurred_at -> Timestamp,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    known_devices (customer_id, device_id) {
        customer_id -> Text,
        device_id -> Text,
        first_seen_at -> Timestamp,
    }
}

diesel::table! {
    security_alerts (id) {
        id -> BigInt,
        alert_id -> Text,
        customer_id -> Text,
        rule -> Text,
        cause -> Text,
        severity -> Text,
        status -> Text,
        details -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    security_reports (id) {
        id -> BigInt,
        report_id -> Text,
        customer_id -> Text,
        activity_type -> Text,
        description -> Text,
        evidence -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    domain_events_seen (event_id) {
        event_id -> Text,
        seen_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    security_profiles,
    recovery_codes,
    code_failures,
    security_events,
    known_devices,
    security_alerts,
    security_reports,
    domain_events_seen,
);
