//! Messages and their deliveries: writing what was sent, the in-app feed, and the
//! deliverer's claims on due deliveries.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::domain::delivery::{Channel, Status};
use crate::schema::{deliveries as d, notifications as n};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = n)]
pub struct Notification {
    pub id: i64,
    pub notification_id: String,
    pub customer_id: String,
    pub category: String,
    pub template: Option<String>,
    pub title: String,
    pub message: String,
    pub language: String,
    pub in_app: bool,
    pub read_at: Option<NaiveDateTime>,
    pub event_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = n)]
pub struct NewNotification {
    pub notification_id: String,
    pub customer_id: String,
    pub category: String,
    pub template: Option<String>,
    pub title: String,
    pub message: String,
    pub language: String,
    pub in_app: bool,
    pub event_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = d)]
pub struct Delivery {
    pub id: i64,
    pub notification_id: i64,
    pub customer_id: String,
    pub channel: String,
    pub status: String,
    pub reason: Option<String>,
    pub recipient: Option<String>,
    pub digest: bool,
    pub due_at: Option<NaiveDateTime>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub batch: Option<String>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = d)]
pub struct NewDelivery {
    pub notification_id: i64,
    pub customer_id: String,
    pub channel: String,
    pub status: String,
    pub reason: Option<String>,
    pub recipient: Option<String>,
    pub digest: bool,
    pub due_at: Option<NaiveDateTime>,
    pub sent_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewNotification) -> QueryResult<Notification> {
    with_backend!(conn, |c| diesel::insert_into(n::table)
        .values(new)
        .returning(Notification::as_returning())
        .get_result(c))
}

pub fn insert_deliveries(conn: &mut DbConnection, rows: &[NewDelivery]) -> QueryResult<usize> {
    with_backend!(conn, |c| diesel::insert_into(d::table)
        .values(rows)
        .execute(c))
}

/// The message made from domain event `event_id`, if one was.
pub fn by_event(conn: &mut DbConnection, event_id: &str) -> QueryResult<Option<Notification>> {
    n::table
        .filter(n::event_id.eq(event_id))
        .select(Notification::as_select())
        .first(conn)
        .optional()
}

/// One of the customer's messages by its public ID (another customer's is not found).
pub fn find(
    conn: &mut DbConnection,
    customer: &str,
    notification_id: &str,
) -> QueryResult<Option<Notification>> {
    n::table
        .filter(n::notification_id.eq(notification_id))
        .filter(n::customer_id.eq(customer))
        .select(Notification::as_select())
        .first(conn)
        .optional()
}

pub fn deliveries_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Delivery>> {
    d::table
        .filter(d::notification_id.eq_any(ids))
        .order(d::id.asc())
        .select(Delivery::as_select())
        .load(conn)
}

/// A page of the in-app feed, newest first, before position `before`.
pub fn feed(
    conn: &mut DbConnection,
    customer: &str,
    before: Option<i64>,
    unread_only: bool,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut q = n::table
        .filter(n::customer_id.eq(customer))
        .filter(n::in_app.eq(true))
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(n::id.lt(before));
    }
    if unread_only {
        q = q.filter(n::read_at.is_null());
    }
    q.order(n::id.desc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
}

/// Feed entries after position `after`, oldest first (what a live stream has not shown yet).
pub fn feed_after(
    conn: &mut DbConnection,
    customer: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    n::table
        .filter(n::customer_id.eq(customer))
        .filter(n::in_app.eq(true))
        .filter(n::id.gt(after))
        .order(n::id.asc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
}

/// The position of the customer's newest feed entry (0 with none).
pub fn feed_head(conn: &mut DbConnection, customer: &str) -> QueryResult<i64> {
    n::table
        .filter(n::customer_id.eq(customer))
        .filter(n::in_app.eq(true))
        .select(diesel::dsl::max(n::id))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

pub fn unread(conn: &mut DbConnection, customer: &str) -> QueryResult<i64> {
    n::table
        .filter(n::customer_id.eq(customer))
        .filter(n::in_app.eq(true))
        .filter(n::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks one feed entry read (the first time counts); returns it, or `None` when the customer
/// has no such entry.
pub fn mark_read(
    conn: &mut DbConnection,
    customer: &str,
    notification_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Notification>> {
    diesel::update(
        n::table
            .filter(n::notification_id.eq(notification_id))
            .filter(n::customer_id.eq(customer))
            .filter(n::in_app.eq(true))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(Some(now)))
    .execute(conn)?;
    find(conn, customer, notification_id).map(|f| f.filter(|n| n.in_app))
}

/// Marks every unread feed entry read; returns how many were unread.
pub fn mark_all_read(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        n::table
            .filter(n::customer_id.eq(customer))
            .filter(n::in_app.eq(true))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(Some(now)))
    .execute(conn)
}

const WAITING: [&str; 2] = ["queued", "scheduled"];

/// Deliveries due at `now`, oldest due first.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Delivery>> {
    d::table
        .filter(d::status.eq_any(WAITING))
        .filter(d::due_at.le(now))
        .order(d::due_at.asc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)
}

/// Every digest delivery of the customer on `channel` due at `now`.
pub fn due_digest(
    conn: &mut DbConnection,
    customer: &str,
    channel: Channel,
    now: NaiveDateTime,
) -> QueryResult<Vec<Delivery>> {
    d::table
        .filter(d::customer_id.eq(customer))
        .filter(d::channel.eq(channel.as_str()))
        .filter(d::digest.eq(true))
        .filter(d::status.eq_any(WAITING))
        .filter(d::due_at.le(now))
        .order(d::id.asc())
        .select(Delivery::as_select())
        .load(conn)
}

/// Takes the deliveries for one attempt: pushes their due time to `lease_until` if they are
/// still waiting and due, so another deliverer (or this one, next tick) leaves them alone
/// until then. Returns the ones taken.
pub fn claim(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    with_backend!(conn, |c| diesel::update(
        d::table
            .filter(d::id.eq_any(ids))
            .filter(d::status.eq_any(WAITING))
            .filter(d::due_at.le(now))
    )
    .set((d::due_at.eq(Some(lease_until)), d::updated_at.eq(now)))
    .returning(d::id)
    .get_results(c))
}

pub fn messages(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Notification>> {
    n::table
        .filter(n::id.eq_any(ids))
        .order(n::id.asc())
        .select(Notification::as_select())
        .load(conn)
}

/// Records an attempt's outcome on the deliveries it carried.
pub fn settle(
    conn: &mut DbConnection,
    ids: &[i64],
    status: Status,
    due_at: Option<NaiveDateTime>,
    error: Option<&str>,
    batch: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let sent_at = (status == Status::Sent).then_some(now);
    diesel::update(d::table.filter(d::id.eq_any(ids)))
        .set((
            d::status.eq(status.as_str()),
            d::due_at.eq(due_at),
            d::attempts.eq(d::attempts + 1),
            d::last_error.eq(error),
            d::sent_at.eq(sent_at),
            d::batch.eq(Some(batch)),
            d::updated_at.eq(now),
        ))
        .execute(conn)
}
