//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    reward_instances (id) {
        id -> BigInt,
        reward_id -> Text,
        customer_id -> Text,
        reward_type -> Text,
        occurrence -> Text,
        name_en -> Text,
        name_ar -> Text,
        points -> Integer,
        discount_percent -> Integer,
        special_date -> Date,
        valid_from -> Date,
        valid_until -> Date,
        claimed_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
