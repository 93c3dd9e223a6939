//! Webhook delivery: one queue per subscriber. Each subscriber with due deliveries gets a
//! worker of its own that sends them in event order until its queue is empty or an attempt
//! fails (then it waits for the backoff), so a slow or dead subscriber only ever delays
//! itself. Each POST carries the event exactly as stored, signed; every attempt is logged.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use cid_kit::server::Job;
use cid_kit::{ApiError, Db};

use crate::domain::signature;
use crate::store::hooks::{self, Event, HookDelivery, Outcome, Webhook};

const CLAIM: chrono::Duration = chrono::Duration::minutes(2);
const PAGE: i64 = 50;

#[derive(Clone)]
pub struct HookDeliverer {
    pub db: Db,
    /// Built on the first delivery (`LazyHttp`): no TLS set-up in a service nobody subscribed to.
    client: cid_kit::client::LazyHttp,
    timeout: Duration,
    pub max_attempts: i32,
    /// Subscribers whose worker is running.
    busy: Arc<Mutex<HashSet<i64>>>,
    kick: super::Kick,
}

impl HookDeliverer {
    pub fn new(db: Db, timeout: Duration, max_attempts: i32) -> Self {
        Self {
            db,
            client: cid_kit::client::LazyHttp::new(|b| b.user_agent("cid-webhooks/1")),
            timeout,
            max_attempts: max_attempts.max(1),
            busy: Arc::default(),
            kick: super::Kick::default(),
        }
    }

    /// Starts a worker for every subscriber with deliveries due at `now` that has none;
    /// returns how many were started.
    pub async fn tick(&self, now: NaiveDateTime) -> Result<usize, ApiError> {
        let due = self
            .db
            .query(move |c| hooks::subscribers_due(c, now))
            .await?;
        let mut started = 0;
        for hook in due {
            if !self.lock().insert(hook) {
                continue;
            }
            started += 1;
            let me = self.clone();
            tokio::spawn(async move {
                let _ = me.drain(hook).await;
                me.lock().remove(&hook);
            });
        }
        Ok(started)
    }

    /// Sends everything due at `now` for every subscriber and waits for it (tests and the
    /// burst measurement); returns how many were accepted.
    pub async fn deliver_all(&self, now: NaiveDateTime) -> Result<usize, ApiError> {
        let due = self
            .db
            .query(move |c| hooks::subscribers_due(c, now))
            .await?;
        let runs = due.into_iter().map(|hook| self.drain_at(hook, now));
        let mut sent = 0;
        for r in futures_util::future::join_all(runs).await {
            sent += r?;
        }
        Ok(sent)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.busy.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn drain(&self, hook: i64) -> Result<usize, ApiError> {
        self.drain_at(hook, Utc::now().naive_utc()).await
    }

    /// Sends the subscriber's due deliveries in order; stops at the first failure.
    async fn drain_at(&self, hook: i64, now: NaiveDateTime) -> Result<usize, ApiError> {
        let mut sent = 0;
        loop {
            let page = self
                .db
                .query(move |c| hooks::due_for(c, hook, now, PAGE))
                .await?;
            if page.is_empty() {
                return Ok(sent);
            }
            for (delivery, event, webhook) in page {
                let id = delivery.id;
                let claimed = self
                    .db
                    .write(move |c| hooks::claim(c, id, now, now + CLAIM).map_err(ApiError::from))
                    .await?;
                if !claimed {
                    continue;
                }
                if self.attempt(&delivery, &event, &webhook).await? {
                    sent += 1;
                } else {
                    return Ok(sent);
                }
            }
        }
    }

    /// One POST; true when the subscriber accepted it (2xx).
    async fn attempt(
        &self,
        delivery: &HookDelivery,
        event: &Event,
        webhook: &Webhook,
    ) -> Result<bool, ApiError> {
        let started = Instant::now();
        let body = event.payload.clone().into_bytes();
        let signed = signature::sign(&webhook.secret, Utc::now().timestamp(), &body);
        let client = self.client.get();
        let result = match client {
            Ok(client) => client
                .post(&webhook.url)
                .timeout(self.timeout)
                .header("Content-Type", "application/json")
                .header(signature::HEADER, signed)
                .header("X-CID-Event-Id", &event.event_id)
                .header("X-CID-Event-Type", &event.event_type)
                .header("X-CID-Delivery", delivery.id.to_string())
                .body(body)
                .send()
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        let (code, error) = match result {
            Ok(res) if res.status().is_success() => (Some(i32::from(res.status().as_u16())), None),
            Ok(res) => {
                let code = res.status().as_u16();
                let text: String = res
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                (Some(i32::from(code)), Some(format!("HTTP {code}: {text}")))
            }
            Err(e) => (None, Some(e)),
        };
        let ok = error.is_none();
        let attempts = delivery.attempts + 1;
        let at = Utc::now().naive_utc();
        let outcome = Outcome {
            status: if ok {
                "sent"
            } else if attempts >= self.max_attempts {
                "failed"
            } else {
                "queued"
            },
            due_at: (!ok && attempts < self.max_attempts)
                .then(|| at + cid_kit::outbox::backoff(attempts - 1)),
            status_code: code,
            error,
            duration_ms,
        };
        if let Some(e) = &outcome.error {
            tracing::warn!(webhook = %webhook.webhook_id, event = %event.event_id, attempts, error = %e, "webhook delivery failed");
        }
        let id = delivery.id;
        self.db
            .write(move |c| hooks::settle(c, id, &outcome, at).map_err(ApiError::from))
            .await?;
        Ok(ok)
    }

    /// Starts workers for what is due now, in the background (after an event or a re-send).
    pub fn soon(&self) {
        let me = self.clone();
        self.kick.kick(move || {
            let me = me.clone();
            async move {
                let _ = me.tick(Utc::now().naive_utc()).await;
            }
        });
    }

    pub fn job(self, every: Duration) -> Job {
        Job {
            name: "deliver webhooks",
            every,
            run: Arc::new(move |_db: Db| {
                let me = self.clone();
                Box::pin(async move { me.tick(Utc::now().naive_utc()).await })
            }),
        }
    }
}
