//! FAQ entries.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::domain::Category;
use crate::schema::faq_entries as f;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = f)]
pub struct Entry {
    pub id: i64,
    pub entry_id: String,
    #[diesel(deserialize_as = String)]
    pub category: Category,
    pub topic: String,
    pub question_en: String,
    pub question_ar: String,
    pub answer_en: String,
    pub answer_ar: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = f)]
pub struct EntryFields {
    pub category: String,
    pub topic: String,
    pub question_en: String,
    pub question_ar: String,
    pub answer_en: String,
    pub answer_ar: String,
    pub updated_at: NaiveDateTime,
}

/// Writes an entry under `entry_id` unless one (even a deleted one) is there; true when
/// written.
pub fn insert(
    conn: &mut DbConnection,
    entry_id: &str,
    fields: &EntryFields,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_backend!(conn, |c| diesel::insert_into(f::table)
        .values((f::entry_id.eq(entry_id), fields, f::created_at.eq(now)))
        .on_conflict_do_nothing()
        .execute(c))
    .map(|n| n == 1)
}

/// The live entries, optionally of one category, in shipping order.
pub fn list(conn: &mut DbConnection, category: Option<Category>) -> QueryResult<Vec<Entry>> {
    let mut q = f::table.filter(f::deleted_at.is_null()).into_boxed();
    if let Some(c) = category {
        q = q.filter(f::category.eq(c.as_str()));
    }
    q.order(f::id.asc()).select(Entry::as_select()).load(conn)
}

pub fn find(conn: &mut DbConnection, entry_id: &str) -> QueryResult<Option<Entry>> {
    f::table
        .filter(f::entry_id.eq(entry_id))
        .filter(f::deleted_at.is_null())
        .select(Entry::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut DbConnection, id: i64, fields: &EntryFields) -> QueryResult<usize> {
    diesel::update(f::table.find(id)).set(fields).execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(f::table.find(id))
        .set((f::deleted_at.eq(Some(now)), f::updated_at.eq(now)))
        .execute(conn)
}
