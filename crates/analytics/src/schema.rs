//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    purchases (id) {
        id -> BigInt,
        customer_id -> Text,
        order_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        category -> Text,
        category_key -> Text,
        status -> Text,
        purchased_at -> Timestamp,
        refunded_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        customer_id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    customer_figures (customer_id) {
        customer_id -> Text,
        purchases -> BigInt,
        spent_minor -> BigInt,
        first_purchase_at -> Nullable<Timestamp>,
        last_purchase_at -> Nullable<Timestamp>,
        visits -> BigInt,
        reviews -> BigInt,
        logins -> BigInt,
        shares -> BigInt,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    monthly_spend (customer_id, month) {
        customer_id -> Text,
        month -> Text,
        purchases -> BigInt,
        spent_minor -> BigInt,
    }
}

diesel::table! {
    category_spend (customer_id, category_key) {
        customer_id -> Text,
        category_key -> Text,
        category -> Text,
        purchases -> BigInt,
        spent_minor -> BigInt,
    }
}

diesel::table! {
    daily_purchases (customer_id, day) {
        customer_id -> Text,
        day -> Text,
        purchases -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    purchases,
    events,
    customer_figures,
    monthly_spend,
    category_spend,
    daily_purchases
);
