//! The transactional outbox and its deliverer.
//!
//! A service that must make another service do something (credit points for a claimed
//! reward, pay a referral) calls [`enqueue`] inside the transaction that changes its own
//! state. [`deliver_due`] — run as a job — sends each pending message through the
//! [`ServiceClient`] with the message's idempotency key, marks it delivered once the target
//! acknowledges, and otherwise retries with exponential backoff. Delivery is at least once;
//! the key makes the effect exactly once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::Value;

use cid_common::contracts::events::DomainEvent;

use crate::bus::EVENTS_TARGET;
use crate::client::{CallContext, ServiceClient};
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::server::Job;
use crate::with_backend;

/// After this many failed attempts a message is set aside (`failed_at`) and logged.
pub const MAX_ATTEMPTS: i32 = 50;
const MAX_BACKOFF_SECS: i64 = 600;

diesel::table! {
    outbox (id) {
        id -> BigInt,
        target -> Text,
        method -> Text,
        path -> Text,
        body -> Text,
        idempotency_key -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        traceparent -> Nullable<Text>,
    }
}

/// A call to make on another service.
#[derive(Debug, Clone)]
pub struct Message {
    /// The target service's group, e.g. `loyalty`.
    pub target: String,
    pub method: Method,
    pub path: String,
    pub body: Value,
    /// Unique per effect, e.g. `reward-claim:<rewardId>`.
    pub idempotency_key: String,
}

impl Message {
    /// A POST of a typed body (a contract type of `cid_common::contracts`), so the JSON sent
    /// is the one the target's own type reads.
    pub fn post<B: serde::Serialize>(
        target: &str,
        path: String,
        body: &B,
        idempotency_key: String,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            target: target.to_owned(),
            method: Method::POST,
            path,
            body: serde_json::to_value(body)?,
            idempotency_key,
        })
    }

    /// Points for `customer` (standard ID) in loyalty, exactly once per `idempotency_key`.
    pub fn credit(
        customer: &str,
        credit: &cid_common::contracts::loyalty::Credit,
        idempotency_key: String,
    ) -> Result<Self, serde_json::Error> {
        use cid_common::contracts::loyalty::Credit;
        Self::post("loyalty", Credit::path(customer), credit, idempotency_key)
    }
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewRow<'a> {
    target: &'a str,
    method: &'a str,
    path: &'a str,
    body: String,
    idempotency_key: &'a str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
    traceparent: Option<String>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct Row {
    pub id: i64,
    pub target: String,
    pub method: String,
    pub path: String,
    pub body: String,
    pub idempotency_key: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    /// The span of the request that wrote it (when spans are exported).
    pub traceparent: Option<String>,
}

/// Writes `message` in the caller's transaction. The same key twice is one message. The
/// current span is kept with it, so that its delivery joins the request's trace.
pub fn enqueue(conn: &mut DbConnection, message: &Message, now: NaiveDateTime) -> QueryResult<()> {
    let row = NewRow {
        target: &message.target,
        method: message.method.as_str(),
        path: &message.path,
        body: message.body.to_string(),
        idempotency_key: &message.idempotency_key,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        traceparent: crate::telemetry::current_traceparent(),
    };
    with_backend!(conn, |c| diesel::insert_into(outbox::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

pub fn by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Row>> {
    outbox::table
        .filter(outbox::idempotency_key.eq(key))
        .select(Row::as_select())
        .first(conn)
        .optional()
}

/// How long a delivered message is kept (to look into what was sent) before it is purged.
pub const KEEP_DELIVERED_DAYS: i64 = 7;

/// Forgets messages delivered more than [`KEEP_DELIVERED_DAYS`] before `now`, so the table
/// holds a week of traffic rather than all of it; messages set aside stay until someone looks.
pub fn purge_delivered(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let before = now - chrono::Duration::days(KEEP_DELIVERED_DAYS);
    diesel::delete(outbox::table.filter(outbox::delivered_at.lt(before))).execute(conn)
}

/// Messages not yet delivered (nor set aside), and when the oldest was written.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    outbox::table
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::failed_at.is_null())
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox::created_at),
        ))
        .first(conn)
}

/// How long a claimed message is this replica's to send: far over a call's timeout, so a
/// replica that died mid-send leaves its messages to the others after this long.
const CLAIM_SECS: i64 = 60;

/// Takes up to `limit` due messages for this replica: their next attempt moves past the claim,
/// so no other replica (nor another round of this one) sends them meanwhile. PostgreSQL skips
/// rows another replica is claiming (`FOR UPDATE SKIP LOCKED`: no waiting, no deadlock);
/// SQLite has one writer at a time.
fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    exclude: &str,
) -> QueryResult<Vec<Row>> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let until = now + chrono::Duration::seconds(CLAIM_SECS);
    // Raw SQL: diesel's update cannot take a subselect of its own table as its target.
    const PG: &str = "UPDATE outbox SET next_attempt_at = $1 WHERE id IN (SELECT id FROM outbox \
        WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2 AND target <> $4 \
        ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *";
    const SQLITE: &str = "UPDATE outbox SET next_attempt_at = ? WHERE id IN (SELECT id FROM outbox \
        WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? AND target <> ? \
        ORDER BY next_attempt_at LIMIT ?) RETURNING *";
    let mut rows: Vec<Row> = match conn {
        DbConnection::Pg(c) => diesel::sql_query(PG)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(exclude)
            .load(c)?,
        DbConnection::Sqlite(c) => diesel::sql_query(SQLITE)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(exclude)
            .bind::<BigInt, _>(limit)
            .load(c)?,
    };
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Over HTTP, each due domain event becomes one message per consumer (notifications, the
/// subscribers of its type; `events::http_routes`), delivered and retried on its own so that
/// one consumer being down holds up no other. The consumers' messages keep the event's time
/// and trace. PostgreSQL replicas skip events another is expanding; a repeat expansion would
/// add nothing (the keys are unique).
fn expand_events(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let due = || {
        outbox::table
            .filter(outbox::target.eq(EVENTS_TARGET))
            .filter(outbox::delivered_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::id)
            .limit(limit)
    };
    let rows: Vec<Row> = match conn {
        DbConnection::Pg(c) => due()
            .select(Row::as_select())
            .for_update()
            .skip_locked()
            .load(c)?,
        DbConnection::Sqlite(c) => due().select(Row::as_select()).load(c)?,
    };
    for row in &rows {
        let event = serde_json::from_str::<DomainEvent>(&row.body);
        let Ok(event) = event else {
            diesel::update(outbox::table.find(row.id))
                .set((
                    outbox::failed_at.eq(Some(now)),
                    outbox::last_error.eq(Some("not a domain event")),
                ))
                .execute(conn)?;
            continue;
        };
        for route in crate::events::http_routes(&event.id, &event.kind) {
            let message = NewRow {
                target: route.service,
                method: Method::POST.as_str(),
                path: route.path,
                body: row.body.clone(),
                idempotency_key: &route.idempotency_key,
                attempts: 0,
                next_attempt_at: now,
                created_at: row.created_at,
                traceparent: row.traceparent.clone(),
            };
            with_backend!(conn, |c| diesel::insert_into(outbox::table)
                .values(&message)
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        diesel::update(outbox::table.find(row.id))
            .set(outbox::delivered_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// Exponential backoff: 1 s, 2 s, 4 s, … capped at ten minutes.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 1i64
        .checked_shl(attempts.clamp(0, 30) as u32)
        .unwrap_or(MAX_BACKOFF_SECS);
    chrono::Duration::seconds(secs.min(MAX_BACKOFF_SECS))
}

/// [`backoff`] stretched by up to a quarter, differently per message, so that the messages
/// of one outage do not all come due again in the same instant.
pub fn backoff_with_jitter(attempts: i32, id: i64) -> chrono::Duration {
    let base = backoff(attempts).num_milliseconds();
    let spread = (id.unsigned_abs().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as i64; // 0..1023
    chrono::Duration::milliseconds(base + base * spread / 4096)
}

/// How a message goes: a call on its target, or a domain event's one publish to the bus.
enum Send {
    Http(Value),
    Bus(DomainEvent),
    /// A row that cannot be sent as it is (kept, retried, set aside after the last attempt).
    Broken(String),
}

impl Send {
    /// How `row` is sent. Events are claimed only when the bus carries them (over HTTP they
    /// were expanded into one message per consumer).
    fn of(row: &Row) -> Self {
        let parsed = if row.target == EVENTS_TARGET {
            serde_json::from_str(&row.body).map(Self::Bus)
        } else {
            serde_json::from_str(&row.body).map(Self::Http)
        };
        parsed.unwrap_or_else(|e| Self::Broken(format!("body: {e}")))
    }

    /// Whom it is for: a target that failed this round is not tried again until the next.
    fn target<'a>(&self, row: &'a Row) -> Option<&'a str> {
        match self {
            Self::Broken(_) => None,
            _ => Some(&row.target),
        }
    }

    async fn run(&self, client: &ServiceClient, row: &Row) -> Result<(), String> {
        match self {
            Self::Http(body) => {
                let ctx = CallContext {
                    idempotency_key: Some(row.idempotency_key.clone()),
                    trace: row
                        .traceparent
                        .as_deref()
                        .and_then(crate::trace::TraceContext::parse),
                    ..Default::default()
                };
                let method = Method::from_bytes(row.method.as_bytes()).unwrap_or(Method::POST);
                client
                    .call::<Value, Value>(&row.target, method, &row.path, Some(body), &ctx)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
            Self::Bus(event) => match client.bus() {
                Some(bus) => {
                    bus.publish(event, &row.body, row.traceparent.as_deref())
                        .await
                }
                None => Err("no event bus".into()),
            },
            Self::Broken(e) => Err(e.clone()),
        }
    }
}

/// Sends every message due at `now`; returns how many were acknowledged.
pub async fn deliver_due(
    db: &Db,
    client: &ServiceClient,
    now: NaiveDateTime,
    batch: i64,
) -> Result<usize, ApiError> {
    let exclude = match client.bus() {
        Some(_) => "",
        None => {
            db.write(move |c| expand_events(c, now, batch).map_err(ApiError::from))
                .await?;
            EVENTS_TARGET
        }
    };
    let rows = db
        .write(move |c| claim_due(c, now, batch, exclude).map_err(ApiError::from))
        .await?;
    let mut delivered = 0;
    // A target that failed once this round is not tried again until the next: a slow or
    // dead service costs one timeout per round, not one per message, and the messages for
    // the other targets go on.
    let mut failing = std::collections::HashMap::new();
    // Claimed but not tried (their target failed this round): due again with that target's
    // retry, not a whole claim later.
    let mut untried: Vec<(i64, NaiveDateTime)> = Vec::new();
    for row in rows {
        let send = Send::of(&row);
        if let Some(retry) = send.target(&row).and_then(|t| failing.get(t)) {
            untried.push((row.id, *retry));
            continue;
        }
        let outcome = send
            .run(client, &row)
            .await
            .map_err(|e| (send.target(&row).map(str::to_owned), e));
        let id = row.id;
        let attempts = row.attempts + 1;
        let at = Utc::now().naive_utc();
        match outcome {
            Ok(_) => {
                db.write(move |c| {
                    diesel::update(outbox::table.find(id))
                        .set((
                            outbox::delivered_at.eq(Some(at)),
                            outbox::attempts.eq(attempts),
                        ))
                        .execute(c)
                        .map_err(ApiError::from)
                })
                .await?;
                delivered += 1;
            }
            Err((failed, error)) => {
                let target = failed.clone().unwrap_or_else(|| row.target.clone());
                let give_up = attempts >= MAX_ATTEMPTS;
                if give_up {
                    tracing::error!(outbox_id = id, target = %target, error = %error, "outbox message set aside");
                } else {
                    tracing::warn!(outbox_id = id, target = %target, attempts, error = %error, "outbox delivery failed; will retry");
                }
                if let Some(failed) = failed {
                    failing.insert(failed, at + backoff_with_jitter(attempts, id));
                }
                db.write(move |c| {
                    diesel::update(outbox::table.find(id))
                        .set((
                            outbox::attempts.eq(attempts),
                            outbox::next_attempt_at.eq(at + backoff_with_jitter(attempts, id)),
                            outbox::last_error.eq(Some(error)),
                            outbox::failed_at.eq(give_up.then_some(at)),
                        ))
                        .execute(c)
                        .map_err(ApiError::from)
                })
                .await?;
            }
        }
    }
    if !untried.is_empty() {
        db.write(move |c| {
            for (id, retry) in untried {
                diesel::update(outbox::table.find(id))
                    .set(outbox::next_attempt_at.eq(retry))
                    .execute(c)?;
            }
            Ok::<_, ApiError>(())
        })
        .await?;
    }
    Ok(delivered)
}

/// Tries the due messages now, in the background, after a request enqueued one: the job
/// retries whatever does not land.
pub fn deliver_soon(db: &Db, client: &ServiceClient) {
    let (db, client) = (db.clone(), client.clone());
    tokio::spawn(async move {
        let _ = deliver_due(&db, &client, chrono::Utc::now().naive_utc(), 10).await;
    });
}

/// The deliverer of a service that only emits events (no other calls of its own), every half
/// second, with a client of its own.
pub fn events_job(
    settings: &crate::Settings,
    service: &str,
) -> Result<Job, crate::client::CallError> {
    let client = ServiceClient::new(settings, service)?.with_timeout(Duration::from_secs(2));
    Ok(job(client, Duration::from_millis(500)))
}

/// The deliverer as a service job, every `every`.
pub fn job(client: ServiceClient, every: Duration) -> Job {
    Job {
        name: "deliver outbox",
        every,
        run: Arc::new(move |db: Db| {
            let client = client.clone();
            Box::pin(async move { deliver_due(&db, &client, Utc::now().naive_utc(), 100).await })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(0).num_seconds(), 1);
        assert_eq!(backoff(3).num_seconds(), 8);
        assert_eq!(backoff(40).num_seconds(), MAX_BACKOFF_SECS);
    }
}
