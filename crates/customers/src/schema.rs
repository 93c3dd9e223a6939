//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    customers (id) {
        id -> BigInt,
        customer_id -> Text,
        short_id -> Text,
        user_id -> Text,
        user_type -> Text,
        name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        locale -> Nullable<Text>,
        active -> Bool,
        join_date -> Timestamp,
        deactivated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
