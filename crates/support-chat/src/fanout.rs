//! Delivering a session's events (messages, notices, typing) to every live connection of
//! that session. Behind a trait so that instances sharing one database share events too:
//! `Local` (the default) is one process; `Nats` joins instances through a NATS server.
//!
//! Why NATS and not PostgreSQL's LISTEN/NOTIFY: the events are transient (the stored
//! messages are the record; a client that missed some catches up with `?after=`), so they
//! need a push to whoever listens now, not the database's commit path — a NOTIFY takes a
//! database-wide lock at commit and needs a connection held open per instance, and SQLite
//! has no counterpart; diesel has no way to wait for a notification without polling. NATS
//! is the bus the domain events move to across replicas (issue 14), so one bus serves both.
//! Order: NATS keeps one publisher's order, so every connection sees the events of one
//! instance in the order they were stored; the history (by message ID) is the reference
//! order when two instances publish at the same instant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};

use cid_kit::server::{Stopping, Task};

/// Events of a session, as the JSON text each connection receives.
pub trait Fanout: Send + Sync {
    fn publish(&self, session: &str, event: String);
    fn subscribe(&self, session: &str) -> broadcast::Receiver<String>;
}

/// One broadcast channel per session with listeners, in this process.
#[derive(Default)]
pub struct Local {
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

/// Events a slow connection may fall behind by before it misses some (it can catch up with
/// `?after=`).
const BUFFER: usize = 256;

impl Local {
    /// Sends `event` to every connection of every session (a `resync` after an outage of
    /// the bus).
    fn publish_all(&self, event: &str) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels.retain(|_, tx| tx.send(event.to_owned()).is_ok());
    }
}

impl Fanout for Local {
    fn publish(&self, session: &str, event: String) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        // Nobody listens any more: forget the channel.
        if let Some(tx) = channels.get(session)
            && tx.send(event).is_err()
        {
            channels.remove(session);
        }
    }

    fn subscribe(&self, session: &str) -> broadcast::Receiver<String> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels
            .entry(session.to_owned())
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .subscribe()
    }
}

/// The header naming the instance an event comes from (it delivered it to its own
/// connections already).
const ORIGIN: &str = "Cid-Origin";

/// Events waiting to go out to NATS; beyond this (the server unreachable for long) new ones
/// are dropped for other instances, which are told to resync once the link is back.
const OUTGOING: usize = 4096;

/// What a connection receives after the link between instances was down: fetch
/// `history?after=<the last message ID seen>`.
pub const RESYNC: &str = r#"{"type":"resync"}"#;

/// Connections of this instance get events at once, as with `Local`; every event also goes
/// to `<subject>.<sessionId>` on NATS, and events from other instances come back from there.
/// Chat keeps working on one instance when NATS is down.
pub struct Nats {
    local: Arc<Local>,
    origin: String,
    outgoing: mpsc::Sender<(String, String)>,
    /// Held while an event goes both ways, so that this instance's connections and the
    /// other instances get its events in the same order.
    order: Mutex<()>,
    link: Mutex<Option<Link>>,
}

/// What the background task takes when it starts.
struct Link {
    url: String,
    subject: String,
    outgoing: mpsc::Receiver<(String, String)>,
}

impl Nats {
    /// A fanout through the NATS server at `url` under `subject`, and the task that keeps
    /// the link (to start with the server).
    pub fn new(url: &str, subject: &str) -> (Arc<Self>, Task) {
        let (tx, rx) = mpsc::channel(OUTGOING);
        let nats = Arc::new(Self {
            local: Arc::new(Local::default()),
            origin: uuid::Uuid::new_v4().simple().to_string(),
            outgoing: tx,
            order: Mutex::new(()),
            link: Mutex::new(Some(Link {
                url: url.to_owned(),
                subject: subject.to_owned(),
                outgoing: rx,
            })),
        });
        let this = nats.clone();
        let task = Task {
            name: "chat fan-out over NATS",
            run: Arc::new(move |stopping| Box::pin(this.clone().run(stopping))),
        };
        (nats, task)
    }

    async fn run(self: Arc<Self>, mut stopping: Stopping) {
        let Some(link) = self.link.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        let Link {
            url,
            subject,
            mut outgoing,
        } = link;
        let (events_tx, mut events) = mpsc::unbounded_channel();
        // Connecting in the background: the service starts (and chats locally) while the
        // server is away, and the client reconnects and resubscribes on its own.
        let client = async_nats::ConnectOptions::new()
            .name("cid-support-chat")
            .retry_on_initial_connect()
            .event_callback(move |event| {
                let events_tx = events_tx.clone();
                async move {
                    let _ = events_tx.send(event);
                }
            })
            .connect(url.as_str())
            .await;
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "chat fan-out: cannot use the NATS URL; events stay on this instance");
                return;
            }
        };
        let mut incoming = match client.subscribe(format!("{subject}.*")).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "chat fan-out: cannot subscribe; events stay on this instance");
                return;
            }
        };
        let prefix = format!("{subject}.");
        let mut was_down = false;
        loop {
            tokio::select! {
                out = outgoing.recv() => {
                    let Some((session, event)) = out else { break };
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert(ORIGIN, self.origin.as_str());
                    if let Err(e) = client
                        .publish_with_headers(format!("{prefix}{session}"), headers, event.into())
                        .await
                    {
                        tracing::warn!(error = %e, "chat fan-out: an event did not go out");
                    }
                }
                msg = incoming.next() => {
                    let Some(msg) = msg else { break };
                    let own = msg
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(ORIGIN))
                        .is_some_and(|o| o.as_str() == self.origin);
                    let session = msg.subject.as_str().strip_prefix(&prefix);
                    if let (false, Some(session), Ok(event)) =
                        (own, session, String::from_utf8(msg.payload.to_vec()))
                    {
                        self.local.publish(session, event);
                    }
                }
                event = events.recv() => match event {
                    Some(async_nats::Event::Disconnected) => {
                        was_down = true;
                        tracing::warn!("chat fan-out: NATS link down; events stay on this instance until it is back");
                    }
                    Some(async_nats::Event::Connected) => {
                        tracing::info!("chat fan-out: NATS link up");
                        if std::mem::take(&mut was_down) {
                            self.local.publish_all(RESYNC);
                        }
                    }
                    Some(other) => tracing::debug!(event = %other, "chat fan-out"),
                    None => break,
                },
                () = stopping.wait() => break,
            }
        }
        let _ = client.flush().await;
    }
}

/// A session ID that is one NATS subject token (the service's are UUIDs).
fn subject_token(session: &str) -> bool {
    !session.is_empty()
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Fanout for Nats {
    fn publish(&self, session: &str, event: String) {
        let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        if subject_token(session) {
            match self.outgoing.try_send((session.to_owned(), event.clone())) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(
                        "chat fan-out: NATS backlog full; an event stays on this instance"
                    );
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        self.local.publish(session, event);
    }

    fn subscribe(&self, session: &str) -> broadcast::Receiver<String> {
        self.local.subscribe(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscriber_of_a_session_gets_its_events_in_order_and_no_others() {
        let f = Local::default();
        let (mut a, mut b, mut other) = (f.subscribe("s1"), f.subscribe("s1"), f.subscribe("s2"));
        f.publish("s1", "one".into());
        f.publish("s1", "two".into());
        for rx in [&mut a, &mut b] {
            assert_eq!(rx.recv().await.unwrap(), "one");
            assert_eq!(rx.recv().await.unwrap(), "two");
        }
        assert!(other.try_recv().is_err());
        // Publishing to a session nobody listens to is fine.
        f.publish("s3", "lost".into());
    }
}
