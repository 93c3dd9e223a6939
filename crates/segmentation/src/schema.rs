//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    segment_assignments (customer_id) {
        customer_id -> Text,
        segment -> Text,
        source -> Text,
        reason -> Nullable<Text>,
        metrics -> Text,
        spent_last_year_minor -> BigInt,
        assigned_at -> Timestamp,
        computed_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    segment_changes (id) {
        id -> BigInt,
        customer_id -> Text,
        from_segment -> Nullable<Text>,
        to_segment -> Text,
        source -> Text,
        reason -> Nullable<Text>,
        metrics -> Text,
        actor -> Text,
        changed_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(segment_assignments, segment_changes);
