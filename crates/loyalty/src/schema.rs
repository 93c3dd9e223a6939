//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    loyalty_accounts (customer_id) {
        customer_id -> Text,
        points -> BigInt,
        lifetime_points -> BigInt,
        tier -> Text,
        tier_since -> Timestamp,
        total_spent_minor -> BigInt,
        currency -> Text,
        next_expiry_at -> Nullable<Timestamp>,
        next_expiry_points -> BigInt,
        qualifying_points -> BigInt,
        qualifying_until -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> BigInt,
        customer_id -> Text,
        entry_type -> Text,
        points -> Integer,
        balance_after -> BigInt,
        remaining -> Integer,
        expires_at -> Nullable<Timestamp>,
        reason -> Text,
        order_id -> Nullable<Text>,
        reward_id -> Nullable<Text>,
        related_entry_id -> Nullable<BigInt>,
        purchase_amount_minor -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        actor -> Text,
        request_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(ledger_entries -> loyalty_accounts (customer_id));
diesel::allow_tables_to_appear_in_same_query!(loyalty_accounts, ledger_entries);
