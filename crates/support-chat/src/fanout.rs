//! Delivering a session's events (messages, notices, typing) to every live connection of
//! that session. Behind a trait so that instances sharing one database can share events;
//! the default is in-process, which is all one instance needs.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;

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
