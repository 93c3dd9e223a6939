//! Client connections spread evenly over the event loops.
//!
//! Every loop accepts on the same socket, and the kernel wakes them all for a new
//! connection: the one that runs first takes it. Clients that open their keep-alive
//! connections in a burst (a frontend's pool, a load balancer, wrk) can so land all on one
//! loop, which then serves every request while the others idle: measured with 64 connections
//! on two loops, whole runs where one loop served them all, at three quarters of the
//! throughput and a longer tail. The loop that accepts a connection now keeps it only while
//! no loop has two fewer open; otherwise it hands the socket to the loop with the fewest
//! (once per connection, not per request), as Envoy's `exact_balance` does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Open client connections per loop, and each loop's inbox for sockets handed to it.
pub(crate) struct Balance {
    open: Box<[AtomicUsize]>,
    inboxes: Box<[UnboundedSender<Handoff>]>,
}

/// A connection accepted by one loop for another.
pub(crate) struct Handoff {
    pub stream: std::net::TcpStream,
    pub peer: SocketAddr,
    pub counted: Counted,
}

/// A connection counted against its loop until dropped.
pub(crate) struct Counted {
    balance: Arc<Balance>,
    pub thread: usize,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.balance.open[self.thread].fetch_sub(1, Ordering::Relaxed);
    }
}

impl Balance {
    /// The balance of `threads` loops, with the inbox each loop reads.
    pub(crate) fn new(threads: usize) -> (Arc<Self>, Vec<UnboundedReceiver<Handoff>>) {
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..threads).map(|_| unbounded_channel()).unzip();
        let balance = Self {
            open: (0..threads).map(|_| AtomicUsize::new(0)).collect(),
            inboxes: senders.into_boxed_slice(),
        };
        (Arc::new(balance), receivers)
    }

    /// The loop that serves a connection loop `me` accepted, counted against it: `me`
    /// unless another has at least two fewer open (one fewer would move a connection back
    /// and forth as they open and close).
    pub(crate) fn assign(self: &Arc<Self>, me: usize) -> Counted {
        let mine = self.open[me].load(Ordering::Relaxed);
        let (least, fewest) = self
            .open
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .enumerate()
            .min_by_key(|&(_, n)| n)
            .unwrap_or((me, mine));
        let thread = if fewest + 1 < mine { least } else { me };
        self.open[thread].fetch_add(1, Ordering::Relaxed);
        Counted {
            balance: self.clone(),
            thread,
        }
    }

    /// Sends an accepted connection to its loop; the loop gone (stopping), it is closed.
    pub(crate) fn hand(&self, handoff: Handoff) {
        let _ = self.inboxes[handoff.counted.thread].send(handoff);
    }

    /// Open client connections per loop.
    pub(crate) fn open(&self) -> impl Iterator<Item = usize> + '_ {
        self.open.iter().map(|n| n.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_accepted_by_one_loop_ends_spread_over_all() {
        let (balance, _inboxes) = Balance::new(2);
        let held: Vec<Counted> = (0..64).map(|_| balance.assign(0)).collect();
        let open: Vec<usize> = balance.open().collect();
        assert_eq!(open.iter().sum::<usize>(), 64);
        assert!(open.iter().all(|&n| (31..=33).contains(&n)), "{open:?}");
        drop(held);
        assert!(balance.open().all(|n| n == 0));
    }

    #[test]
    fn a_loop_keeps_its_connection_within_one_of_the_fewest() {
        let (balance, _inboxes) = Balance::new(3);
        let first = balance.assign(1);
        assert_eq!(first.thread, 1);
        // 1 open here, 0 elsewhere: not worth a hand-off.
        let second = balance.assign(1);
        assert_eq!(second.thread, 1);
        // 2 open here: the next goes to a loop with none.
        let moved = balance.assign(1);
        assert_ne!(moved.thread, 1);
        assert_eq!(balance.open().collect::<Vec<_>>().iter().sum::<usize>(), 3);
    }
}
