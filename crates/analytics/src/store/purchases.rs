//! `purchases` and `events`: what was recorded, as it was recorded.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::dsl::{max, min};
use diesel::prelude::*;

use crate::domain::{EventType, PurchaseStatus};
use crate::schema::{events as ev, purchases as p};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = p)]
pub struct Purchase {
    pub id: i64,
    pub customer_id: String,
    pub order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub category: String,
    pub category_key: String,
    #[diesel(deserialize_as = String)]
    pub status: PurchaseStatus,
    pub purchased_at: NaiveDateTime,
    pub refunded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = p)]
pub struct NewPurchase {
    pub customer_id: String,
    pub order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub category: String,
    pub category_key: String,
    #[diesel(serialize_as = String)]
    pub status: PurchaseStatus,
    pub purchased_at: NaiveDateTime,
    pub refunded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn by_order(
    conn: &mut DbConnection,
    customer: &str,
    order: &str,
) -> QueryResult<Option<Purchase>> {
    p::table
        .filter(p::customer_id.eq(customer))
        .filter(p::order_id.eq(order))
        .select(Purchase::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, new: &NewPurchase) -> QueryResult<Purchase> {
    with_backend!(conn, |c| diesel::insert_into(p::table)
        .values(new.clone())
        .returning(Purchase::as_returning())
        .get_result(c))
}

/// Marks a completed purchase refunded; 0 when it was not completed any more (a concurrent
/// refund won).
pub fn mark_refunded(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        p::table
            .find(id)
            .filter(p::status.eq(PurchaseStatus::Completed.as_str())),
    )
    .set((
        p::status.eq(PurchaseStatus::Refunded.as_str()),
        p::refunded_at.eq(Some(now)),
    ))
    .execute(conn)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> QueryResult<Purchase> {
    p::table.find(id).select(Purchase::as_select()).first(conn)
}

/// A customer's purchases, newest recorded first, after the cursor `before`.
pub fn page(
    conn: &mut DbConnection,
    customer: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Purchase>> {
    let mut q = p::table
        .filter(p::customer_id.eq(customer))
        .order(p::id.desc())
        .limit(limit)
        .select(Purchase::as_select())
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(p::id.lt(before));
    }
    q.load(conn)
}

/// The first and last completed purchase times (an index range, not a scan).
pub fn first_and_last(
    conn: &mut DbConnection,
    customer: &str,
) -> QueryResult<(Option<NaiveDateTime>, Option<NaiveDateTime>)> {
    p::table
        .filter(p::customer_id.eq(customer))
        .filter(p::status.eq(PurchaseStatus::Completed.as_str()))
        .select((min(p::purchased_at), max(p::purchased_at)))
        .first(conn)
}

/// The times of the first `n` completed purchases, earliest first (an index range of `n`).
pub fn first_times(
    conn: &mut DbConnection,
    customer: &str,
    n: i64,
) -> QueryResult<Vec<NaiveDateTime>> {
    p::table
        .filter(p::customer_id.eq(customer))
        .filter(p::status.eq(PurchaseStatus::Completed.as_str()))
        .order((p::purchased_at.asc(), p::id.asc()))
        .select(p::purchased_at)
        .limit(n)
        .load(conn)
}

pub fn insert_event(
    conn: &mut DbConnection,
    customer: &str,
    event: EventType,
    occurred_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(ev::table)
        .values((
            ev::customer_id.eq(customer),
            ev::event_type.eq(event.as_str()),
            ev::occurred_at.eq(occurred_at),
            ev::created_at.eq(now),
        ))
        .execute(conn)
}
