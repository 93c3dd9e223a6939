//! Domain events over NATS JetStream (`[events] bus = "jetstream"`).
//!
//! The emitting service's outbox still holds each event first (written in the transaction of
//! its change), so nothing is lost while NATS is away; its deliverer publishes the event once
//! to the stream with the event ID as `Nats-Msg-Id` (the stream drops a re-publish within
//! its duplicate window, e.g. after a lost acknowledgement) and marks the row delivered when
//! the stream acknowledges it. Each reacting service runs a [`consumer`] task: a durable pull
//! consumer named after the service, which every replica of it binds to, so JetStream hands
//! each event to one replica of each service. A handler failing transiently leaves the event
//! to be handed out again with backoff; the handlers are idempotent by event ID (a replica
//! that dies after handling but before acknowledging causes a repeat, not a double effect).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use cid_common::contracts::events::DomainEvent;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::sync::OnceCell;

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::server::{Stopping, Task};
use crate::settings::{EventBus, EventsSettings, Settings};
use crate::trace::TraceContext;

/// The outbox target of a domain event: whatever carries events to their consumers (the
/// bus, or HTTP to each of them).
pub const EVENTS_TARGET: &str = "events";

const TRACEPARENT: &str = "traceparent";
/// How long the stream remembers a `Nats-Msg-Id`: far over the outbox's claim, so a message
/// re-sent after a lost acknowledgement is recognised.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(300);

/// The subject of an event type.
pub fn subject(settings: &EventsSettings, kind: &str) -> String {
    format!("{}.{kind}", settings.subject_prefix)
}

async fn connect(settings: &EventsSettings, name: &str) -> Result<jetstream::Context, String> {
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(2))
        .connect(settings.nats_url.as_str())
        .await
        .map_err(|e| format!("NATS at {}: {e}", settings.nats_url))?;
    let mut js = jetstream::new(client);
    js.set_timeout(Duration::from_secs(2));
    js.get_or_create_stream(stream::Config {
        name: settings.stream.clone(),
        subjects: vec![format!("{}.>", settings.subject_prefix)],
        max_age: Duration::from_secs(settings.max_age_hours.max(1) * 3600),
        duplicate_window: DUPLICATE_WINDOW,
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| format!("stream {}: {e}", settings.stream))?;
    Ok(js)
}

/// The publishing side, kept by the [`ServiceClient`](crate::client::ServiceClient) that
/// delivers the outbox. It connects on first use and again after a failed connect; an
/// established connection reconnects on its own.
pub struct Publisher {
    settings: EventsSettings,
    name: String,
    js: OnceCell<jetstream::Context>,
}

impl Publisher {
    /// A publisher when the settings choose the bus.
    pub fn from_settings(settings: &Settings, service: &str) -> Option<Arc<Self>> {
        (settings.events.bus == EventBus::Jetstream).then(|| {
            Arc::new(Self {
                settings: settings.events.clone(),
                name: format!("cid-{service}"),
                js: OnceCell::new(),
            })
        })
    }

    /// Publishes `event` and waits for the stream to hold it.
    pub async fn publish(
        &self,
        event: &DomainEvent,
        body: &str,
        traceparent: Option<&str>,
    ) -> Result<(), String> {
        let js = self
            .js
            .get_or_try_init(|| connect(&self.settings, &self.name))
            .await?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, event.id.as_str());
        if let Some(tp) = traceparent {
            headers.insert(TRACEPARENT, tp);
        }
        let ack = js
            .publish_with_headers(
                subject(&self.settings, &event.kind),
                headers,
                body.to_owned().into(),
            )
            .await
            .map_err(|e| format!("publish: {e}"))?;
        ack.await
            .map_err(|e| format!("stream acknowledgement: {e}"))?;
        Ok(())
    }
}

/// What a consuming service does with one event: the same use case its HTTP endpoint runs.
pub type Handler = Arc<
    dyn Fn(DomainEvent, RequestContext) -> BoxFuture<'static, Result<(), ApiError>> + Send + Sync,
>;

/// The consumer of `service` when the settings choose the bus: a task that reads the event
/// types in `types` (every type when `None`) through the durable consumer `service` and
/// hands each to `handler`.
pub fn consumer(
    settings: &Settings,
    service: &'static str,
    types: Option<&'static [&'static str]>,
    handler: Handler,
) -> Option<Task> {
    if settings.events.bus != EventBus::Jetstream {
        return None;
    }
    let config = Arc::new(Consuming {
        events: settings.events.clone(),
        locale: settings.default_locale(),
        service,
        types,
        handler,
    });
    Some(Task {
        name: "domain events from JetStream",
        run: Arc::new(move |stopping| Box::pin(config.clone().run(stopping))),
    })
}

struct Consuming {
    events: EventsSettings,
    locale: cid_common::Locale,
    service: &'static str,
    types: Option<&'static [&'static str]>,
    handler: Handler,
}

/// What becomes of one message.
#[derive(Debug, PartialEq)]
enum Verdict {
    Ack,
    /// Handed out again after this long.
    Retry(Duration),
    /// Never handed out again (it can never be handled).
    Drop,
}

/// Backoff between deliveries of an event its handler could not take: 1 s, 2 s, … 1 min.
fn retry_after(delivered: i64) -> Duration {
    Duration::from_secs(1u64 << delivered.clamp(1, 7).saturating_sub(1))
        .min(Duration::from_secs(60))
}

impl Consuming {
    /// The narrowest subject filter covering the types (the server takes one): the type's
    /// own subject, the group's when all are of one group, else everything.
    fn filter(&self) -> String {
        let prefix = &self.events.subject_prefix;
        match self.types {
            Some([one]) => format!("{prefix}.{one}"),
            Some(types) => {
                let groups: std::collections::BTreeSet<_> = types
                    .iter()
                    .filter_map(|t| t.split_once('.'))
                    .map(|(g, _)| g)
                    .collect();
                match groups.into_iter().collect::<Vec<_>>()[..] {
                    [group] => format!("{prefix}.{group}.>"),
                    _ => format!("{prefix}.>"),
                }
            }
            None => format!("{prefix}.>"),
        }
    }

    async fn run(self: Arc<Self>, mut stopping: Stopping) {
        let mut failures = 0u32;
        loop {
            let began = std::time::Instant::now();
            let outcome = tokio::select! {
                _ = stopping.wait() => return,
                outcome = self.consume() => outcome,
            };
            // A link that held for a while was a success: the next outage starts counting anew.
            if began.elapsed() > Duration::from_secs(60) {
                failures = 0;
            }
            if let Err(e) = outcome {
                failures = failures.saturating_add(1);
                if failures == 1 || failures.is_power_of_two() {
                    tracing::warn!(service = self.service, error = %e, failures, "domain events: JetStream unavailable; events wait in the stream and the emitters' outboxes");
                }
            }
            let pause = Duration::from_millis(500 * u64::from(failures.clamp(1, 10)));
            tokio::select! {
                _ = stopping.wait() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Binds to the durable consumer and handles events until the link breaks.
    async fn consume(&self) -> Result<(), String> {
        let name = format!("cid-{}", self.service);
        let js = connect(&self.events, &name).await?;
        let stream = js
            .get_stream(&self.events.stream)
            .await
            .map_err(|e| format!("stream {}: {e}", self.events.stream))?;
        let durable = self.service.to_owned();
        let filter = self.filter();
        let consumer = stream
            .get_or_create_consumer(
                &durable,
                pull::Config {
                    durable_name: Some(durable.clone()),
                    filter_subject: filter.clone(),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(self.events.ack_wait_secs.max(1)),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| format!("consumer {durable}: {e}"))?;
        let has = &consumer.cached_info().config.filter_subject;
        if *has != filter {
            // An existing consumer keeps its position and its filter: a service whose types
            // changed must have its consumer removed (it then starts from the stream's start).
            tracing::warn!(service = self.service, has = %has, wants = %filter,
                "domain events: the durable consumer filters other subjects; remove it to take the new ones");
        }
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| format!("consumer {durable}: {e}"))?;
        tracing::info!(
            service = self.service,
            "domain events: reading from JetStream"
        );
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(m) => m,
                // Heartbeats missed while the server is away: the stream goes on once it is back.
                Err(e) => {
                    tracing::debug!(service = self.service, error = %e, "domain events: consumer hiccup");
                    continue;
                }
            };
            let delivered = message.info().map_or(1, |i| i.delivered);
            let traceparent = message
                .headers
                .as_ref()
                .and_then(|h| h.get(TRACEPARENT))
                .map(|v| v.as_str().to_owned());
            let verdict = self
                .take(&message.payload, traceparent.as_deref(), delivered)
                .await;
            let kind = match verdict {
                Verdict::Ack => AckKind::Ack,
                Verdict::Retry(after) => AckKind::Nak(Some(after)),
                Verdict::Drop => AckKind::Term,
            };
            if let Err(e) = message.ack_with(kind).await {
                // Handed out again after ack_wait: the handlers take a repeat as a no-op.
                tracing::warn!(service = self.service, error = %e, "domain events: acknowledgement lost");
            }
        }
        Err("the consumer's message stream ended".into())
    }

    async fn take(&self, payload: &[u8], traceparent: Option<&str>, delivered: i64) -> Verdict {
        let event: DomainEvent = match crate::json::parse(payload) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(service = self.service, error = %e, "domain events: not an event; dropped");
                return Verdict::Drop;
            }
        };
        if !event.problems().is_empty() {
            tracing::error!(service = self.service, event_id = %event.id, "domain events: malformed event; dropped");
            return Verdict::Drop;
        }
        if self
            .types
            .is_some_and(|t| !t.contains(&event.kind.as_str()))
        {
            return Verdict::Ack;
        }
        let ctx = RequestContext {
            request_id: event.request_id.clone().unwrap_or_else(|| event.id.clone()),
            locale: self.locale,
            trace: TraceContext::continue_from(traceparent),
        };
        let id = event.id.clone();
        match (self.handler)(event, ctx).await {
            Ok(()) => Verdict::Ack,
            Err(e) if e.status().is_client_error() && !matches!(e.status().as_u16(), 409 | 429) => {
                tracing::error!(service = self.service, event_id = %id, error = %e, "domain events: refused by its handler; dropped");
                Verdict::Drop
            }
            Err(e) => {
                tracing::warn!(service = self.service, event_id = %id, delivered, error = %e, "domain events: handler failed; will retry");
                Verdict::Retry(retry_after(delivered))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consuming(types: Option<&'static [&'static str]>) -> Consuming {
        Consuming {
            events: EventsSettings::default(),
            locale: cid_common::Locale::En,
            service: "t",
            types,
            handler: Arc::new(|_, _| Box::pin(async { Ok(()) })),
        }
    }

    #[test]
    fn the_filter_is_as_narrow_as_one_subject_can_be() {
        assert_eq!(consuming(None).filter(), "cid.events.>");
        assert_eq!(
            consuming(Some(&["loyalty.points_redeemed"])).filter(),
            "cid.events.loyalty.points_redeemed"
        );
        assert_eq!(
            consuming(Some(&[
                "analytics.purchase_recorded",
                "analytics.purchase_refunded"
            ]))
            .filter(),
            "cid.events.analytics.>"
        );
        assert_eq!(
            consuming(Some(&[
                "analytics.purchase_recorded",
                "loyalty.points_earned"
            ]))
            .filter(),
            "cid.events.>"
        );
    }

    #[test]
    fn retries_back_off_to_a_minute() {
        assert_eq!(retry_after(1), Duration::from_secs(1));
        assert_eq!(retry_after(2), Duration::from_secs(2));
        assert_eq!(retry_after(7), Duration::from_secs(60));
        assert_eq!(retry_after(100), Duration::from_secs(60));
    }
}
