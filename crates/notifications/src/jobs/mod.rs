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

/// What the deliverer needs.
#[derive(Clone)]
pub struct Deliverer {
    pub db: Db,
    pub transports: Arc<Transports>,
    /// After this many failed attempts a delivery is `failed`.
    pub max_attempts: i32,
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
        tokio::spawn(async move {
            let _ = me.deliver_due(Utc::now().naive_utc()).await;
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
