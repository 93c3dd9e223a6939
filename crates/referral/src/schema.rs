//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    referral_codes (code) {
        code -> Text,
        customer_id -> Text,
        active -> Bool,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    referrals (id) {
        id -> BigInt,
        referrer_id -> Text,
        referee_id -> Text,
        code -> Text,
        status -> Text,
        referrer_points -> Integer,
        referee_points -> Integer,
        signed_up_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(referral_codes, referrals);
