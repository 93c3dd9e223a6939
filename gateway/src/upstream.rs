//! The prefix table: one entry per group, each with its upstreams, timeout and breakers.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};

/// One upstream address with its circuit breaker.
pub struct Upstream {
    pub scheme: Scheme,
    pub authority: Authority,
    pub base: String,
    /// Requests written together at most (`h1.rs`); 1: one at a time.
    pub pipeline: usize,
    /// Requests written together with others, and those of them sent again on their own.
    pub batched: AtomicU64,
    pub resent: AtomicU64,
    /// Times pipelining was paused because the upstream answered a batch apart.
    pub pauses: AtomicU64,
    /// Bodiless GETs and HEADs go as streams of an h2c connection (`h2c.rs`).
    pub h2c: bool,
    /// Streams answered, and those the upstream did not process (sent again over HTTP/1.1).
    pub h2c_streams: AtomicU64,
    pub h2c_resent: AtomicU64,
    /// Milliseconds since `EPOCH` until which the upstream gets HTTP/1.1 only: it did not
    /// answer an h2c preface.
    h2c_off_until_ms: AtomicU64,
    /// Milliseconds since `EPOCH` until which requests go out one at a time.
    paused_until_ms: AtomicU64,
    /// Answers of batches in a row that came apart.
    apart: AtomicU32,
    failures: AtomicU32,
    /// Milliseconds since `epoch` until which the breaker is open.
    open_until_ms: AtomicU64,
}

impl Upstream {
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("bad upstream URL {url}: {e}"))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| format!("upstream {url} needs a scheme"))?;
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| format!("upstream {url} needs a host"))?;
        Ok(Self {
            base: format!("{scheme}://{authority}"),
            scheme,
            authority,
            pipeline: 1,
            batched: AtomicU64::new(0),
            resent: AtomicU64::new(0),
            pauses: AtomicU64::new(0),
            h2c: false,
            h2c_streams: AtomicU64::new(0),
            h2c_resent: AtomicU64::new(0),
            h2c_off_until_ms: AtomicU64::new(0),
            paused_until_ms: AtomicU64::new(0),
            apart: AtomicU32::new(0),
            failures: AtomicU32::new(0),
            open_until_ms: AtomicU64::new(0),
        })
    }
}

static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

fn since_epoch_ms() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// How long pipelining stays off for an upstream that answered batches apart.
pub const PIPELINE_PAUSE: Duration = Duration::from_secs(5);

/// Answers apart in a row that pause pipelining: one alone may be the service's thread
/// preempted between two answers on a busy machine; a service that waits while it answers
/// shows it at every answer.
const APART_IN_A_ROW: u32 = 3;

impl Upstream {
    /// Requests written together at most now: 1 while pipelining is paused.
    pub fn pipeline_depth(&self) -> usize {
        if self.pipeline > 1 && self.paused_until_ms.load(Ordering::Relaxed) > since_epoch_ms() {
            1
        } else {
            self.pipeline
        }
    }

    /// Whether bodiless GETs and HEADs go over h2c now.
    pub fn h2c_usable(&self) -> bool {
        self.h2c && self.h2c_off_until_ms.load(Ordering::Relaxed) <= since_epoch_ms()
    }

    /// The upstream closed an h2c connection before its SETTINGS (a service that speaks
    /// HTTP/1.1 only): HTTP/1.1 for [`crate::h2c::H2C_RETRY`].
    pub fn h2c_refused(&self) {
        let until = since_epoch_ms() + crate::h2c::H2C_RETRY.as_millis() as u64;
        if self.h2c_off_until_ms.swap(until, Ordering::Relaxed) <= since_epoch_ms() {
            tracing::warn!(upstream = %self.base, "upstream does not speak h2c: HTTP/1.1 for a while");
        }
    }

    /// An answer of a batch, after the first, came `apart` from the one before it or not.
    pub fn answered(&self, apart: bool) {
        if apart {
            if self.apart.fetch_add(1, Ordering::Relaxed) + 1 >= APART_IN_A_ROW {
                self.apart.store(0, Ordering::Relaxed);
                self.pause_pipelining();
            }
        } else if self.apart.load(Ordering::Relaxed) != 0 {
            self.apart.store(0, Ordering::Relaxed);
        }
    }

    /// The upstream answered a batch's requests apart — one at a time with waits between,
    /// as a service whose handlers wait on something does — so a request of a batch would
    /// wait for the others' work: requests go out one at a time for [`PIPELINE_PAUSE`].
    pub fn pause_pipelining(&self) {
        let until = since_epoch_ms() + PIPELINE_PAUSE.as_millis() as u64;
        if self.paused_until_ms.swap(until, Ordering::Relaxed) <= since_epoch_ms() {
            self.pauses.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(upstream = %self.base, "pipelining paused: answers came apart");
        }
    }
}

/// A group of the API (`loyalty`, …) and where it is served.
pub struct Group {
    pub name: String,
    pub upstreams: Vec<Upstream>,
    pub timeout: Duration,
    next: AtomicUsize,
}

/// Circuit breaker policy shared by all upstreams.
#[derive(Debug, Clone, Copy)]
pub struct Breaker {
    pub failures: u32,
    pub open_for: Duration,
    pub epoch: Instant,
}

impl Breaker {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub fn is_open(&self, u: &Upstream) -> bool {
        u.open_until_ms.load(Ordering::Relaxed) > self.now_ms()
    }

    pub fn success(&self, u: &Upstream) {
        if u.failures.load(Ordering::Relaxed) != 0 {
            u.failures.store(0, Ordering::Relaxed);
        }
    }

    pub fn failure(&self, u: &Upstream) {
        let n = u.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.failures {
            let until =
                self.now_ms() + u64::try_from(self.open_for.as_millis()).unwrap_or(u64::MAX);
            u.open_until_ms.store(until, Ordering::Relaxed);
            u.failures.store(0, Ordering::Relaxed);
            tracing::warn!(upstream = %u.base, "circuit breaker opened");
        }
    }
}

impl Group {
    pub fn new(name: &str, urls: &[String], timeout: Duration) -> Result<Self, String> {
        let upstreams = urls
            .iter()
            .map(|u| Upstream::parse(u))
            .collect::<Result<Vec<_>, _>>()?;
        if upstreams.is_empty() {
            return Err(format!("group {name} has no upstream"));
        }
        Ok(Self {
            name: name.to_owned(),
            upstreams,
            timeout,
            next: AtomicUsize::new(0),
        })
    }

    /// Up to `depth` GETs and HEADs that arrive together go out on one connection at once.
    pub fn with_pipeline(mut self, depth: usize) -> Self {
        for u in &mut self.upstreams {
            u.pipeline = depth.max(1);
        }
        self
    }

    /// Bodiless GETs and HEADs go as h2c streams (`h2c.rs`) or not.
    pub fn with_h2c(mut self, on: bool) -> Self {
        for u in &mut self.upstreams {
            u.h2c = on;
        }
        self
    }

    /// Round robin over upstreams whose breaker is closed; `None` when all are open.
    pub fn pick(&self, breaker: &Breaker) -> Option<&Upstream> {
        let n = self.upstreams.len();
        let start = if n == 1 {
            0
        } else {
            self.next.fetch_add(1, Ordering::Relaxed)
        };
        (0..n)
            .map(|i| &self.upstreams[(start + i) % n])
            .find(|u| !breaker.is_open(u))
    }
}

/// Finds the group of a path `/api/customer-id/<group>[/...]`.
pub fn group_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/customer-id/")?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_of_takes_the_segment_after_the_base_path() {
        assert_eq!(group_of("/api/customer-id/loyalty/C1"), Some("loyalty"));
        assert_eq!(
            group_of("/api/customer-id/support-chat"),
            Some("support-chat")
        );
        assert_eq!(group_of("/api/customer-id/"), None);
        assert_eq!(group_of("/other/loyalty"), None);
    }

    #[test]
    fn breaker_opens_after_consecutive_failures_and_pick_skips_it() {
        let g = Group::new(
            "x",
            &["http://127.0.0.1:1".into(), "http://127.0.0.1:2".into()],
            Duration::from_secs(1),
        )
        .unwrap();
        let b = Breaker {
            failures: 2,
            open_for: Duration::from_secs(60),
            epoch: Instant::now(),
        };
        b.failure(&g.upstreams[0]);
        assert!(!b.is_open(&g.upstreams[0]));
        b.failure(&g.upstreams[0]);
        assert!(b.is_open(&g.upstreams[0]));
        for _ in 0..4 {
            assert_eq!(
                g.pick(&b).map(|u| u.base.as_str()),
                Some("http://127.0.0.1:2")
            );
        }
        b.failure(&g.upstreams[1]);
        b.failure(&g.upstreams[1]);
        assert!(g.pick(&b).is_none());
    }
}
