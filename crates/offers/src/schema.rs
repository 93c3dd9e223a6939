//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    offers (id) {
        id -> BigInt,
        offer_id -> Text,
        texts -> Text,
        category -> Text,
        discount_type -> Text,
        value_hundredths -> BigInt,
        min_purchase_minor -> BigInt,
        valid_from -> Timestamp,
        valid_until -> Timestamp,
        targeting -> Text,
        per_customer_limit -> BigInt,
        budget_redemptions -> Nullable<BigInt>,
        budget_amount_minor -> Nullable<BigInt>,
        used_redemptions -> BigInt,
        used_amount_minor -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    redemptions (id) {
        id -> BigInt,
        redemption_id -> Text,
        offer_id -> Text,
        customer_id -> Text,
        discount_type -> Text,
        order_amount_minor -> Nullable<BigInt>,
        savings_minor -> BigInt,
        extra_points -> BigInt,
        status -> Text,
        applied_by -> Text,
        applied_at -> Timestamp,
        rolled_back_at -> Nullable<Timestamp>,
        rolled_back_by -> Nullable<Text>,
        rollback_reason -> Nullable<Text>,
    }
}

diesel::table! {
    offer_uses (offer_id, customer_id) {
        offer_id -> Text,
        customer_id -> Text,
        applied -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(offers, redemptions, offer_uses);
