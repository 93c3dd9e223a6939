//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    preferences (customer_id) {
        customer_id -> Text,
        email -> Bool,
        sms -> Bool,
        push -> Bool,
        in_app -> Bool,
        promotional -> Bool,
        order_updates -> Bool,
        loyalty_updates -> Bool,
        frequency -> Text,
        quiet_start -> Nullable<Text>,
        quiet_end -> Nullable<Text>,
        time_zone -> Nullable<Text>,
        language -> Text,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}
