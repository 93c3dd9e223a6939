//! Emitting domain events (SPEC §4): [`emit`] writes the event to the service's outbox in
//! the caller's transaction, so an event exists exactly when its change was committed; the
//! outbox job delivers it to notifications, and to the services subscribed to its type
//! (`contracts::events::SUBSCRIBERS`), at least once, keyed by the event ID — over HTTP, or
//! through NATS JetStream ([`crate::bus`]).

use chrono::NaiveDateTime;
use cid_common::contracts::events::{DomainEvent, SUBSCRIBERS};
use cid_common::time::rfc3339;
use diesel::QueryResult;
use serde_json::Value;

use crate::bus::EVENTS_TARGET;
use crate::db::DbConnection;
use crate::outbox::{self, Message};

/// The service that takes every event (a feed for customers, webhooks for partners).
pub const NOTIFICATIONS: &str = "notifications";

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

/// Writes `event` to the outbox, in the caller's transaction, as one message for the event
/// bus: the deliverer turns it into one message per consumer (see [`http_routes`]) or
/// publishes it once to JetStream, as `[events] bus` says when it is sent.
pub fn emit(conn: &mut DbConnection, event: &DomainEvent, now: NaiveDateTime) -> QueryResult<()> {
    let message = Message::post(
        EVENTS_TARGET,
        DomainEvent::PATH.to_owned(),
        event,
        format!("event:{}", event.id),
    )
    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    outbox::enqueue(conn, &message, now)
}

/// One POST of an event to a consumer over HTTP.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpRoute {
    pub service: &'static str,
    pub path: &'static str,
    /// Unique per consumer and event, so a resend is recognised.
    pub idempotency_key: String,
}

/// Where an event of `kind` goes over HTTP: notifications (every event), then each
/// subscriber of the type.
pub fn http_routes(id: &str, kind: &str) -> Vec<HttpRoute> {
    let mut routes = vec![HttpRoute {
        service: NOTIFICATIONS,
        path: DomainEvent::PATH,
        idempotency_key: format!("{NOTIFICATIONS}:event:{id}"),
    }];
    routes.extend(
        SUBSCRIBERS
            .iter()
            .filter(|s| s.types.contains(&kind))
            .map(|s| HttpRoute {
                service: s.service,
                path: s.path,
                idempotency_key: format!("{}:event:{id}", s.service),
            }),
    );
    routes
}

/// The types a service reacts to: `None` (every type) for notifications.
pub fn subscribed_types(service: &str) -> Option<&'static [&'static str]> {
    SUBSCRIBERS
        .iter()
        .find(|s| s.service == service)
        .map(|s| s.types)
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

/// A domain event POSTed by an emitter's outbox to a consumer's endpoint: the caller must be
/// a service (401/403 otherwise) and the body a well-formed event (400 otherwise).
pub struct Delivered(pub DomainEvent);

impl actix_web::FromRequest for Delivered {
    type Error = crate::ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let caller =
            <crate::Caller as actix_web::FromRequest>::from_request(req, payload).into_inner();
        let body = <crate::JsonBody as actix_web::FromRequest>::from_request(req, payload);
        Box::pin(async move {
            caller?.require_any(&[cid_common::Role::Service])?;
            let event: DomainEvent = crate::json::parse(&body.await?.raw)?;
            let problems = event.problems();
            if !problems.is_empty() {
                return Err(crate::ApiError::validation(problems));
            }
            Ok(Self(event))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cid_common::contracts::events::types;

    #[test]
    fn every_event_goes_to_notifications_and_to_its_subscribers() {
        let routes = http_routes("E1", types::POINTS_REDEEMED);
        let services: Vec<_> = routes.iter().map(|r| r.service).collect();
        assert_eq!(services, ["notifications", "security"]);
        assert_eq!(routes[0].idempotency_key, "notifications:event:E1");
        assert_eq!(routes[1].idempotency_key, "security:event:E1");
        let only: Vec<_> = http_routes("E2", types::POINTS_EARNED)
            .into_iter()
            .map(|r| r.service)
            .collect();
        assert_eq!(only, ["notifications"]);
        assert_eq!(subscribed_types("notifications"), None);
        assert_eq!(
            subscribed_types("security"),
            Some(&[types::POINTS_REDEEMED][..])
        );
    }
}
