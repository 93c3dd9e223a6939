//! The deliverer: takes the deliveries that are due, sends each (or each customer's digest
//! on a channel, as one message) through its transport, and records the outcome — `sent`,
//! back to `queued` with a backoff, or `failed` after the last attempt with the transport's
//! error. A delivery is claimed before it is sent, so two deliverers never send it together;
//! a deliverer that dies mid-send leaves a claim that runs out and is retried (at least
//! once; the key lets the provider tell a repeat).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use cid_kit::server::Job;
use cid_kit::{ApiError, Db};
use futures_util::StreamExt;

use crate::domain::Language;
use crate::domain::delivery::{Channel, Status};
use crate::domain::templates;
use crate::store::feed::{self, Delivery};
use crate::transport::{Outgoing, Transports};

pub mod webhooks;

/// How long a claimed delivery is left alone: longer than any transport's timeout.
const CLAIM: chrono::Duration = chrono::Duration::minutes(2);
/// How many messages go out at once: one slow transport call does not hold up the rest.
const PARALLEL: usize = 16;
const BATCH: i64 = 200;

/// A run that many callers may ask for at once: while one is running, further asks make it
/// go round once more instead of starting another (a burst of sends costs one run per round,
/// not one per send).
#[derive(Clone, Default)]
pub struct Kick {
    asked: Arc<std::sync::atomic::AtomicBool>,
    running: Arc<std::sync::atomic::AtomicBool>,
}

impl Kick {
    /// Runs `run` now in the background, or once more after the current run (which goes on
    /// with the closure it started with: every caller passes the same work).
    pub fn kick<F, Fut>(&self, run: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        use std::sync::atomic::Ordering::SeqCst;
        self.asked.store(true, SeqCst);
        if self.running.swap(true, SeqCst) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.asked.store(false, SeqCst);
                run().await;
                if !me.asked.load(SeqCst) {
                    me.running.store(false, SeqCst);
                    // An ask between the check and the store would be lost: look once more.
                    if !me.asked.load(SeqCst) || me.running.swap(true, SeqCst) {
                        return;
                    }
                }
            }
        });
    }
}

/// What the deliverer needs.
#[derive(Clone)]
pub struct Deliverer {
    pub db: Db,
    pub transports: Arc<Transports>,
    /// After this many failed attempts a delivery is `failed`.
    pub max_attempts: i32,
    pub kick: Kick,
}

impl Deliverer {
    /// Sends everything due at `now`; returns how many messages went out.
    pub async fn deliver_due(&self, now: NaiveDateTime) -> Result<usize, ApiError> {
        let due = self.db.query(move |c| feed::due(c, now, BATCH)).await?;
        let mut batches: Vec<Vec<Delivery>> = Vec::new();
        let mut digests = HashSet::new();
        for d in due {
            if !d.digest {
                batches.push(vec![d]);
            } else if digests.insert((d.customer_id.clone(), d.channel.clone())) {
                let channel = Channel::parse(&d.channel).unwrap_or(Channel::Email);
                let customer = d.customer_id.clone();
                let all = self
                    .db
                    .query(move |c| feed::due_digest(c, &customer, channel, now))
                    .await?;
                batches.push(all);
            }
        }
        let outcomes: Vec<Result<bool, ApiError>> = futures_util::stream::iter(batches)
            .map(|batch| self.deliver(batch, now))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut sent = 0;
        for outcome in outcomes {
            sent += usize::from(outcome?);
        }
        Ok(sent)
    }

    /// One message: claim, compose, send, record. True when it was accepted.
    async fn deliver(&self, batch: Vec<Delivery>, now: NaiveDateTime) -> Result<bool, ApiError> {
        let ids: Vec<i64> = batch.iter().map(|d| d.id).collect();
        let claimed = self
            .db
            .write(move |c| feed::claim(c, &ids, now, now + CLAIM).map_err(ApiError::from))
            .await?;
        let batch: Vec<Delivery> = batch
            .into_iter()
            .filter(|d| claimed.contains(&d.id))
            .collect();
        let Some(first) = batch.first() else {
            return Ok(false);
        };
        let message_ids: Vec<i64> = batch.iter().map(|d| d.notification_id).collect();
        let messages = self
            .db
            .query(move |c| feed::messages(c, &message_ids))
            .await?;
        let language = messages
            .last()
            .and_then(|m| Language::parse(&m.language))
            .unwrap_or(Language::En);
        let (title, message) = match messages.as_slice() {
            [one] if !first.digest => (one.title.clone(), one.message.clone()),
            many => templates::digest(
                language,
                &many
                    .iter()
                    .map(|m| (m.title.as_str(), m.message.as_str()))
                    .collect::<Vec<_>>(),
            ),
        };
        let channel = Channel::parse(&first.channel).unwrap_or(Channel::Email);
        let out = Outgoing {
            key: format!("dlv-{}", first.id),
            channel,
            customer_id: first.customer_id.clone(),
            to: first.recipient.clone(),
            title,
            message,
            language,
        };
        let result = self.transports.of(channel).send(&out).await;
        let attempts = batch.iter().map(|d| d.attempts).max().unwrap_or(0) + 1;
        let at = Utc::now().naive_utc().max(now);
        let (status, due, error) = match &result {
            Ok(()) => (Status::Sent, None, None),
            Err(e) if attempts >= self.max_attempts => (Status::Failed, None, Some(e.clone())),
            Err(e) => (
                Status::Queued,
                Some(at + cid_kit::outbox::backoff(attempts - 1)),
                Some(e.clone()),
            ),
        };
        match (&result, status) {
            (Err(e), Status::Failed) => {
                tracing::error!(key = %out.key, channel = %channel, attempts, error = %e, "delivery failed for good")
            }
            (Err(e), _) => {
                tracing::warn!(key = %out.key, channel = %channel, attempts, error = %e, "delivery failed; will retry")
            }
            _ => {}
        }
        let (ids, key) = (claimed, out.key);
        self.db
            .write(move |c| {
                feed::settle(c, &ids, status, due, error.as_deref(), &key, at)
                    .map_err(ApiError::from)
            })
            .await?;
        Ok(result.is_ok())
    }

    /// Tries what is due now, in the background (after a send): the job retries the rest.
    pub fn soon(&self) {
        let me = self.clone();
        self.kick.kick(move || {
            let me = me.clone();
            async move {
                let _ = me.deliver_due(Utc::now().naive_utc()).await;
            }
        });
    }

    /// The deliverer as a service job, every `every`.
    pub fn job(self, every: Duration) -> Job {
        Job {
            name: "deliver notifications",
            every,
            run: Arc::new(move |_db: Db| {
                let me = self.clone();
                Box::pin(async move { me.deliver_due(Utc::now().naive_utc()).await })
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_burst_of_kicks_runs_a_few_times_and_once_after_the_last() {
        let kick = Kick::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let last_seen = Arc::new(AtomicUsize::new(0));
        let asked = Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            asked.fetch_add(1, Ordering::SeqCst);
            let (runs, last_seen, asked) = (runs.clone(), last_seen.clone(), asked.clone());
            kick.kick(move || {
                let (runs, last_seen, asked) = (runs.clone(), last_seen.clone(), asked.clone());
                async move {
                    last_seen.store(asked.load(Ordering::SeqCst), Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    runs.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let n = runs.load(Ordering::SeqCst);
        assert!((1..=3).contains(&n), "{n} runs for 100 kicks");
        assert_eq!(
            last_seen.load(Ordering::SeqCst),
            100,
            "a run started after the last kick"
        );
    }
}
