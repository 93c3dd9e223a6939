//! Emitting domain events (SPEC §4): [`emit`] writes the event to the service's outbox in
//! the caller's transaction, so an event exists exactly when its change was committed; the
//! outbox job delivers it to notifications, and to the services subscribed to its type
//! (`contracts::events::SUBSCRIBERS`), at least once, keyed by the event ID.

use chrono::NaiveDateTime;
use cid_common::contracts::events::{DomainEvent, SUBSCRIBERS};
use cid_common::time::rfc3339;
use diesel::QueryResult;
use serde_json::Value;

use crate::db::DbConnection;
use crate::outbox::{self, Message};

/// Where events go.
pub const RECEIVER: &str = "notifications";

/// A new event of `kind` about `customer`, happening at `now`.
pub fn new(
    kind: &str,
    customer: Option<&str>,
    data: Value,
    request_id: Option<&str>,
    now: NaiveDateTime,
) -> DomainEvent {
    DomainEvent {
        id: uuid::Uuid::now_v7().to_string(),
        kind: kind.to_owned(),
        occurred_at: rfc3339(now),
        customer_id: customer.map(str::to_owned),
        data,
        request_id: request_id.map(str::to_owned),
    }
}

/// Writes `event` to the outbox, in the caller's transaction: for notifications, and for
/// every subscriber of its type.
pub fn emit(conn: &mut DbConnection, event: &DomainEvent, now: NaiveDateTime) -> QueryResult<()> {
    let serialization = |e| diesel::result::Error::SerializationError(Box::new(e));
    let message = Message::post(
        RECEIVER,
        DomainEvent::PATH.to_owned(),
        event,
        format!("event:{}", event.id),
    )
    .map_err(serialization)?;
    outbox::enqueue(conn, &message, now)?;
    for sub in SUBSCRIBERS
        .iter()
        .filter(|s| s.types.contains(&event.kind.as_str()))
    {
        let message = Message::post(
            sub.service,
            sub.path.to_owned(),
            event,
            format!("{}:event:{}", sub.service, event.id),
        )
        .map_err(serialization)?;
        outbox::enqueue(conn, &message, now)?;
    }
    Ok(())
}

/// [`new`] and [`emit`] in one step.
pub fn record(
    conn: &mut DbConnection,
    kind: &str,
    customer: &str,
    data: Value,
    request_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    emit(conn, &new(kind, Some(customer), data, request_id, now), now)
}
