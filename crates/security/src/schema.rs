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

diesel::allow_tables_to_appear_in_same_query!(security_profiles, recovery_codes, code_failures);
