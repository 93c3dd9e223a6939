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

diesel::table! {
    notifications (id) {
        id -> BigInt,
        notification_id -> Text,
        customer_id -> Text,
        category -> Text,
        template -> Nullable<Text>,
        title -> Text,
        message -> Text,
        language -> Text,
        in_app -> Bool,
        read_at -> Nullable<Timestamp>,
        event_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        notification_id -> BigInt,
        customer_id -> Text,
        channel -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        recipient -> Nullable<Text>,
        digest -> Bool,
        due_at -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        batch -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        event_id -> Text,
        event_type -> Text,
        customer_id -> Nullable<Text>,
        payload -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        webhook_id -> Text,
        url -> Text,
        event_types -> Text,
        secret -> Text,
        active -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        status -> Text,
        attempts -> Integer,
        due_at -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::joinable!(deliveries -> notifications (notification_id));
diesel::joinable!(webhook_deliveries -> events (event_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(
    notifications,
    deliveries,
    events,
    webhooks,
    webhook_deliveries,
    webhook_attempts
);
