//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    tickets (id) {
        id -> BigInt,
        ticket_id -> Text,
        customer_id -> Text,
        subject -> Text,
        description -> Text,
        category -> Text,
        priority -> Text,
        status -> Text,
        assignee -> Nullable<Text>,
        sla_due_at -> Timestamp,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_ratings (ticket_id) {
        ticket_id -> BigInt,
        rating -> Integer,
        feedback -> Nullable<Text>,
        rated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_comments (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        author -> Text,
        author_role -> Text,
        message -> Text,
        internal -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_changes (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        from_status -> Text,
        to_status -> Text,
        actor -> Text,
        note -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::joinable!(ticket_comments -> tickets (ticket_id));
diesel::joinable!(ticket_changes -> tickets (ticket_id));
diesel::joinable!(ticket_ratings -> tickets (ticket_id));
diesel::allow_tables_to_appear_in_same_query!(
    tickets,
    ticket_comments,
    ticket_changes,
    ticket_ratings
);
