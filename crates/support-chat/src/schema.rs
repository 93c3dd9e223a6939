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
