//! Diesel table definitions in portable types (PostgreSQL and SQLite).

diesel::table! {
    faq_entries (id) {
        id -> BigInt,
        entry_id -> Text,
        category -> Text,
        topic -> Text,
        question_en -> Text,
        question_ar -> Text,
        answer_en -> Text,
        answer_ar -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    chat_sessions (id) {
        id -> BigInt,
        session_id -> Text,
        customer_id -> Text,
        topic -> Text,
        status -> Text,
        agent_id -> Nullable<Text>,
        created_at -> Timestamp,
        joined_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<Text>,
        rating -> Nullable<Integer>,
        feedback -> Nullable<Text>,
    }
}

diesel::table! {
    chat_messages (id) {
        id -> BigInt,
        session_id -> BigInt,
        sender -> Text,
        sender_role -> Text,
        kind -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    agent_presence (agent_id) {
        agent_id -> Text,
        seen_at -> Timestamp,
    }
}

diesel::joinable!(chat_messages -> chat_sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(chat_sessions, chat_messages);
