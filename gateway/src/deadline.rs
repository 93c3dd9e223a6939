//! Coarse per-thread deadlines for upstream exchanges.
//!
//! A `tokio::time::timeout` per request registers an entry in the runtime's timer wheel and
//! takes it out again when the answer comes, almost always long before it fires; under
//! callgrind that was about 6 % of the gateway's instructions per request. Here an exchange
//! only takes a slot in its thread's list, and one sweeper task per event loop wakes every
//! `TICK` while anything is in flight and ends the exchanges whose time is up. A deadline
//! thus fires up to one tick late, which no upstream timeout (seconds) notices.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How often the sweeper looks while exchanges are in flight.
pub const TICK: Duration = Duration::from_millis(10);

struct Slot {
    due: Instant,
    waker: Option<Waker>,
    expired: bool,
    used: bool,
}

#[derive(Default)]
struct Watch {
    slots: Vec<Slot>,
    free: Vec<usize>,
    live: usize,
    /// The sweeper, when it is parked because nothing is in flight.
    parked: Option<Waker>,
}

thread_local! {
    static WATCH: RefCell<Watch> = RefCell::new(Watch::default());
    /// Whether a sweeper runs on this thread's event loop.
    static SWEEPING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `fut` for at most `limit`; `None` when the time ran out first (and `fut` is
/// dropped). Outside an event loop that runs [`sweep`], tokio's timer does the same job.
pub async fn within<F: Future>(limit: Duration, fut: F) -> Option<F::Output> {
    if !SWEEPING.get() {
        return tokio::time::timeout(limit, fut).await.ok();
    }
    let slot = Registration::new(Instant::now() + limit);
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        if slot.expired(cx) {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// The sweeper of this thread's deadlines; spawn it once on each event loop.
pub async fn sweep() {
    struct Off;
    impl Drop for Off {
        fn drop(&mut self) {
            SWEEPING.set(false);
        }
    }
    SWEEPING.set(true);
    let _off = Off;
    loop {
        // Parked, not ticking, while nothing is in flight: an idle gateway does not wake.
        poll_fn(|cx| {
            WATCH.with(|w| {
                let mut w = w.borrow_mut();
                if w.live == 0 {
                    w.parked = Some(cx.waker().clone());
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
        })
        .await;
        tokio::time::sleep(TICK).await;
        let now = Instant::now();
        // Woken after the list is let go: a waker is free to look at its own slot.
        let due: Vec<Waker> = WATCH.with(|w| {
            w.borrow_mut()
                .slots
                .iter_mut()
                .filter(|slot| slot.used && !slot.expired && slot.due <= now)
                .filter_map(|slot| {
                    slot.expired = true;
                    slot.waker.take()
                })
                .collect()
        });
        due.into_iter().for_each(Waker::wake);
    }
}

/// One exchange's slot, freed when the exchange ends either way.
struct Registration(usize);

impl Registration {
    fn new(due: Instant) -> Self {
        let (registration, parked) = WATCH.with(|w| {
            let mut w = w.borrow_mut();
            let slot = Slot {
                due,
                waker: None,
                expired: false,
                used: true,
            };
            let index = if let Some(index) = w.free.pop() {
                w.slots[index] = slot;
                index
            } else {
                w.slots.push(slot);
                w.slots.len() - 1
            };
            w.live += 1;
            (Self(index), w.parked.take())
        });
        if let Some(sweeper) = parked {
            sweeper.wake();
        }
        registration
    }

    /// Whether the time is up; if not, the task is woken when it is.
    fn expired(&self, cx: &Context<'_>) -> bool {
        WATCH.with(|w| {
            let slot = &mut w.borrow_mut().slots[self.0];
            if slot.expired {
                return true;
            }
            if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                slot.waker = Some(cx.waker().clone());
            }
            false
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // `try_with`: a task dropped while the thread's locals are torn down.
        let _ = WATCH.try_with(|w| {
            let mut w = w.borrow_mut();
            let slot = &mut w.slots[self.0];
            slot.used = false;
            slot.waker = None;
            w.free.push(self.0);
            w.live -= 1;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_slow_exchange_ends_within_a_tick_of_its_deadline_and_a_fast_one_passes() {
        runtime().block_on(async {
            let sweeper = tokio::spawn(sweep());
            tokio::task::yield_now().await;
            assert!(SWEEPING.get());
            let started = Instant::now();
            let slow = within(
                Duration::from_millis(50),
                tokio::time::sleep(Duration::from_secs(5)),
            )
            .await;
            let took = started.elapsed();
            assert!(slow.is_none());
            assert!(took >= Duration::from_millis(50), "{took:?}");
            assert!(took < Duration::from_millis(50) + 5 * TICK, "{took:?}");
            let fast = within(Duration::from_secs(5), async { 7 }).await;
            assert_eq!(fast, Some(7));
            // Every slot is freed again, so an idle loop parks its sweeper.
            WATCH.with(|w| assert_eq!(w.borrow().live, 0));
            sweeper.abort();
        });
    }

    #[test]
    fn many_exchanges_at_once_each_get_their_own_deadline() {
        runtime().block_on(async {
            let sweeper = tokio::spawn(sweep());
            tokio::task::yield_now().await;
            let outcomes = futures_util::future::join_all((0..20u64).map(|i| {
                within(
                    Duration::from_millis(30 + 10 * (i % 2)),
                    tokio::time::sleep(Duration::from_millis(if i < 10 { 1 } else { 5_000 })),
                )
            }))
            .await;
            assert_eq!(outcomes.iter().filter(|o| o.is_some()).count(), 10);
            assert!(outcomes[..10].iter().all(Option::is_some));
            WATCH.with(|w| assert_eq!(w.borrow().live, 0));
            sweeper.abort();
        });
    }

    #[test]
    fn without_a_sweeper_tokios_timer_keeps_the_deadline() {
        runtime().block_on(async {
            let slow = within(
                Duration::from_millis(20),
                tokio::time::sleep(Duration::from_secs(5)),
            )
            .await;
            assert!(slow.is_none());
        });
    }
}
