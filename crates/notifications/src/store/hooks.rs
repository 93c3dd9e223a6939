//! Received domain events, webhook subscriptions, their deliveries and the attempt log.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::schema::{events as e, webhook_attempts as a, webhook_deliveries as d, webhooks as w};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = e)]
pub struct Event {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub customer_id: Option<String>,
    pub payload: String,
    pub received_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = e)]
pub struct NewEvent {
    pub event_id: String,
    pub event_type: String,
    pub customer_id: Option<String>,
    pub payload: String,
    pub received_at: NaiveDateTime,
}

/// Stores an event the first time its ID is seen; `None` for a repeat.
pub fn insert_event(conn: &mut DbConnection, new: &NewEvent) -> QueryResult<Option<Event>> {
    with_backend!(conn, |c| diesel::insert_into(e::table)
        .values(new)
        .on_conflict(e::event_id)
        .do_nothing()
        .returning(Event::as_returning())
        .get_result(c)
        .optional())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = w)]
pub struct Webhook {
    pub id: i64,
    pub webhook_id: String,
    pub url: String,
    pub event_types: String,
    pub secret: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Webhook {
    pub fn types(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    pub fn wants(&self, event_type: &str) -> bool {
        self.types().iter().any(|t| t == "*" || t == event_type)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = w)]
pub struct NewWebhook {
    pub webhook_id: String,
    pub url: String,
    pub event_types: String,
    pub secret: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = w)]
pub struct WebhookChangeset {
    pub url: String,
    pub event_types: String,
    pub secret: String,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

pub fn insert_webhook(conn: &mut DbConnection, new: &NewWebhook) -> QueryResult<Webhook> {
    with_backend!(conn, |c| diesel::insert_into(w::table)
        .values(new)
        .returning(Webhook::as_returning())
        .get_result(c))
}

/// A subscription not deleted, by its public ID.
pub fn webhook(conn: &mut DbConnection, webhook_id: &str) -> QueryResult<Option<Webhook>> {
    w::table
        .filter(w::webhook_id.eq(webhook_id))
        .filter(w::deleted_at.is_null())
        .select(Webhook::as_select())
        .first(conn)
        .optional()
}

pub fn webhooks(conn: &mut DbConnection) -> QueryResult<Vec<Webhook>> {
    w::table
        .filter(w::deleted_at.is_null())
        .order(w::id.asc())
        .select(Webhook::as_select())
        .load(conn)
}

pub fn active_webhooks(conn: &mut DbConnection) -> QueryResult<Vec<Webhook>> {
    w::table
        .filter(w::deleted_at.is_null())
        .filter(w::active.eq(true))
        .select(Webhook::as_select())
        .load(conn)
}

pub fn update_webhook(
    conn: &mut DbConnection,
    id: i64,
    change: &WebhookChangeset,
) -> QueryResult<Webhook> {
    with_backend!(conn, |c| diesel::update(w::table.find(id))
        .set(change)
        .returning(Webhook::as_returning())
        .get_result(c))
}

pub fn delete_webhook(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(w::table.find(id))
        .set((
            w::deleted_at.eq(Some(now)),
            w::active.eq(false),
            w::updated_at.eq(now),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = d)]
pub struct HookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub status: String,
    pub attempts: i32,
    pub due_at: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Queues `event` for each of `hooks`.
pub fn fan_out(
    conn: &mut DbConnection,
    event: i64,
    hooks: &[i64],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let rows: Vec<_> = hooks
        .iter()
        .map(|hook| {
            (
                d::webhook_id.eq(*hook),
                d::event_id.eq(event),
                d::status.eq("queued"),
                d::attempts.eq(0),
                d::due_at.eq(Some(now)),
                d::created_at.eq(now),
                d::updated_at.eq(now),
            )
        })
        .collect();
    with_backend!(conn, |c| diesel::insert_into(d::table)
        .values(&rows)
        .execute(c))
}

/// Active subscribers with deliveries due at `now`.
pub fn subscribers_due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    d::table
        .inner_join(w::table)
        .filter(d::status.eq("queued"))
        .filter(d::due_at.le(now))
        .filter(w::active.eq(true))
        .filter(w::deleted_at.is_null())
        .select(d::webhook_id)
        .distinct()
        .load(conn)
}

/// A subscriber's next due deliveries in event order, with the event and the subscription.
pub fn due_for(
    conn: &mut DbConnection,
    hook: i64,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(HookDelivery, Event, Webhook)>> {
    d::table
        .inner_join(e::table)
        .inner_join(w::table)
        .filter(d::webhook_id.eq(hook))
        .filter(d::status.eq("queued"))
        .filter(d::due_at.le(now))
        .filter(w::active.eq(true))
        .filter(w::deleted_at.is_null())
        .order(d::id.asc())
        .limit(limit)
        .select((
            HookDelivery::as_select(),
            Event::as_select(),
            Webhook::as_select(),
        ))
        .load(conn)
}

/// Takes a delivery for one attempt (see `feed::claim`); true when this caller has it.
pub fn claim(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        d::table
            .find(id)
            .filter(d::status.eq("queued"))
            .filter(d::due_at.le(now)),
    )
    .set((d::due_at.eq(Some(lease_until)), d::updated_at.eq(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// One attempt's outcome: logged, and the delivery moved on.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: &'static str,
    pub due_at: Option<NaiveDateTime>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

pub fn settle(
    conn: &mut DbConnection,
    id: i64,
    outcome: &Outcome,
    now: NaiveDateTime,
) -> QueryResult<()> {
    with_backend!(conn, |c| diesel::insert_into(a::table)
        .values((
            a::delivery_id.eq(id),
            a::attempted_at.eq(now),
            a::status_code.eq(outcome.status_code),
            a::error.eq(outcome.error.as_deref()),
            a::duration_ms.eq(outcome.duration_ms),
        ))
        .execute(c))?;
    let sent_at = (outcome.status == "sent").then_some(now);
    diesel::update(d::table.find(id))
        .set((
            d::status.eq(outcome.status),
            d::attempts.eq(d::attempts + 1),
            d::due_at.eq(outcome.due_at),
            d::last_status.eq(outcome.status_code),
            d::last_error.eq(outcome.error.as_deref()),
            d::sent_at.eq(sent_at),
            d::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A subscriber's deliveries, newest first, before position `before`, with their events.
pub fn log(
    conn: &mut DbConnection,
    hook: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(HookDelivery, Event)>> {
    let mut q = d::table
        .inner_join(e::table)
        .filter(d::webhook_id.eq(hook))
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(d::id.lt(before));
    }
    q.order(d::id.desc())
        .limit(limit)
        .select((HookDelivery::as_select(), Event::as_select()))
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = a)]
pub struct Attempt {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

pub fn attempts_of(conn: &mut DbConnection, deliveries: &[i64]) -> QueryResult<Vec<Attempt>> {
    a::table
        .filter(a::delivery_id.eq_any(deliveries))
        .order(a::id.asc())
        .select(Attempt::as_select())
        .load(conn)
}

/// Puts a delivery of `hook` back in the queue, due now, with a fresh count of attempts.
pub fn requeue(
    conn: &mut DbConnection,
    hook: i64,
    delivery: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<(HookDelivery, Event)>> {
    let n = diesel::update(d::table.find(delivery).filter(d::webhook_id.eq(hook)))
        .set((
            d::status.eq("queued"),
            d::attempts.eq(0),
            d::due_at.eq(Some(now)),
            d::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    d::table
        .inner_join(e::table)
        .filter(d::id.eq(delivery))
        .select((HookDelivery::as_select(), Event::as_select()))
        .first(conn)
        .optional()
}
