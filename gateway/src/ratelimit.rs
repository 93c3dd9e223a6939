//! Rate limits at the gateway (SPEC §4): per caller (the token's subject) and per client IP,
//! with a stricter budget on the endpoints that move value or guard accounts (reward claims,
//! referral tracking and links, 2FA). Each budget is "N a minute" as GCRA (the generic cell
//! rate algorithm, as the `governor` crate and Redis-cell use it): a full budget can be spent
//! at once, and it refills one request every minute/N — so no window edge lets a caller spend
//! it twice in a moment. One timestamp per key, shared by every event-loop thread; answers
//! carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the
//! budget is full again), and a refusal is a 429 with `Retry-After` (seconds until the next
//! request fits).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::sync::Mutex;

use http::Method;
use serde::Deserialize;

mod shared;

/// The period every budget is given for, in microseconds (a minute).
const PERIOD_US: u64 = 60_000_000;
const SHARDS: usize = 16;
/// Keys per shard before the full budgets (nothing to remember) are swept out.
const SHARD_SWEEP_AT: usize = 4096;

/// `[gateway.rate_limit]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Requests a minute for one token subject.
    pub per_caller_per_minute: u32,
    /// Requests a minute from one client IP, with or without a token.
    pub per_ip_per_minute: u32,
    /// Requests a minute for one caller (or IP, without a token) on the strict endpoints.
    pub strict_per_minute: u32,
    /// Token roles that are not limited (machine-to-machine callers).
    #[serde(default)]
    pub exempt_roles: Vec<String>,
    /// Count the client IP as the first `X-Forwarded-For` entry (only behind a trusted
    /// load balancer that sets it); otherwise the TCP peer.
    #[serde(default)]
    pub trust_forwarded_for: bool,
    /// Share the budgets with every gateway replica through this Redis
    /// (`redis://host:6379/0`); empty: each gateway counts on its own.
    #[serde(default)]
    pub redis_url: String,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            per_caller_per_minute: 600,
            per_ip_per_minute: 1200,
            strict_per_minute: 20,
            exempt_roles: vec!["service".into()],
            trust_forwarded_for: false,
            redis_url: String::new(),
        }
    }
}

/// The endpoints with the strict budget: reward claims, referral tracking and links, 2FA.
pub fn is_strict(method: &Method, path: &str) -> bool {
    if *method != Method::POST {
        return false;
    }
    let Some(rest) = path.strip_prefix("/api/customer-id/") else {
        return false;
    };
    let (group, tail) = rest.split_once('/').unwrap_or((rest, ""));
    match group {
        "rewards" => tail.ends_with("/claim"),
        "offers" => tail.ends_with("/apply"),
        "referral" => tail.ends_with("/track") || tail.ends_with("/generate-link"),
        "security" => tail.contains("2fa/"),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Caller(Box<str>),
    Ip(IpAddr),
    StrictCaller(Box<str>),
    StrictIp(IpAddr),
}

/// Whole seconds (rounded up) in `micros`.
fn secs(micros: u64) -> u64 {
    micros.div_ceil(1_000_000)
}

impl Key {
    /// Its name in the shared Redis.
    fn shared_name(&self) -> String {
        match self {
            Self::Caller(c) => format!("cid:rl:caller:{c}"),
            Self::Ip(ip) => format!("cid:rl:ip:{ip}"),
            Self::StrictCaller(c) => format!("cid:rl:strict-caller:{c}"),
            Self::StrictIp(ip) => format!("cid:rl:strict-ip:{ip}"),
        }
    }
}

/// The most restrictive budget that applied, for the response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: u32,
    pub remaining: u32,
    /// Allowed: seconds until the budget is full again. Limited: seconds until the next
    /// request fits (`Retry-After`).
    pub reset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Budget),
    Limited(Budget),
}

pub struct Limiter {
    settings: RateLimitSettings,
    hasher: std::collections::hash_map::RandomState,
    /// Per key, the theoretical arrival time (µs since the epoch): when the budget would be
    /// full again. Absent or past means full.
    shards: Vec<Mutex<HashMap<Key, u64>>>,
    /// Requests refused with 429 (for `/metrics`).
    pub refused: std::sync::atomic::AtomicU64,
    /// The budgets every replica shares, when Redis is configured.
    shared: Option<shared::Shared>,
}

impl Limiter {
    /// The limiter `settings` ask for (none when disabled); an unreadable Redis URL is an
    /// error, not a silent fall back to counting per replica.
    pub fn new(settings: RateLimitSettings) -> Result<Option<Self>, redis::RedisError> {
        if !settings.enabled {
            return Ok(None);
        }
        let shared = match settings.redis_url.trim() {
            "" => None,
            url => Some(shared::Shared::new(url)?),
        };
        Ok(Some(Self {
            settings,
            hasher: std::collections::hash_map::RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            refused: std::sync::atomic::AtomicU64::new(0),
            shared,
        }))
    }

    /// Requests counted in-process because the shared Redis did not answer (for `/metrics`).
    pub fn fallbacks(&self) -> u64 {
        self.shared.as_ref().map_or(0, |s| {
            s.fallbacks.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    pub fn trusts_forwarded_for(&self) -> bool {
        self.settings.trust_forwarded_for
    }

    pub fn exempts(&self, role: &str) -> bool {
        self.settings.exempt_roles.iter().any(|r| r == role)
    }

    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, u64>> {
        let index = usize::try_from(self.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0);
        &self.shards[index]
    }

    /// Takes one from `key`'s budget of `limit` a minute at `now` (µs) unless it is spent:
    /// the remaining count and the µs until the budget is full, or the µs until one fits.
    fn try_take(&self, key: &Key, limit: u32, now: u64) -> Result<(u32, u64), u64> {
        let interval = PERIOD_US / u64::from(limit.max(1));
        let mut shard = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        if shard.len() >= SHARD_SWEEP_AT {
            shard.retain(|_, tat| *tat > now);
        }
        let tat = shard.get(key).copied().unwrap_or(now).max(now);
        let next = tat + interval;
        if next - now > PERIOD_US {
            return Err(next - now - PERIOD_US);
        }
        shard.insert(key.clone(), next);
        let remaining = (PERIOD_US - (next - now)) / interval;
        Ok((u32::try_from(remaining).unwrap_or(u32::MAX), next - now))
    }

    /// Gives back what a request took from `key` (a budget of `limit`) before another budget
    /// refused it.
    fn give_back(&self, key: &Key, limit: u32) {
        let interval = PERIOD_US / u64::from(limit.max(1));
        let mut shard = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tat) = shard.get_mut(key) {
            *tat = tat.saturating_sub(interval);
        }
    }

    /// Counts one request of `caller` (a token subject) from `ip` at `now` (milliseconds since
    /// the epoch) against each of its budgets; when one is spent, nothing is counted.
    pub async fn check(&self, caller: Option<&str>, ip: IpAddr, strict: bool, now: u64) -> Verdict {
        self.check_budgets(caller, ip, strict, now, true).await
    }

    /// Counts one request against the client IP's budget alone: a token not verified yet is
    /// charged here before its signature costs anything, so a flood of bad tokens spends
    /// the IP's budget like any other traffic.
    pub async fn check_ip(&self, ip: IpAddr, now: u64) -> Verdict {
        self.check_budgets(None, ip, false, now, true).await
    }

    /// Returns what [`Limiter::check_ip`] took, for a token that turned out to be exempt.
    pub async fn refund_ip(&self, ip: IpAddr) {
        let key = Key::Ip(ip);
        let limit = self.settings.per_ip_per_minute;
        if let Some(shared) = &self.shared
            && shared.give_back(&key.shared_name(), limit).await
        {
            return;
        }
        self.give_back(&key, limit);
    }

    /// [`Limiter::check`] for a request whose IP budget [`Limiter::check_ip`] already took.
    pub async fn check_after_ip(
        &self,
        caller: Option<&str>,
        ip: IpAddr,
        strict: bool,
        now: u64,
    ) -> Verdict {
        self.check_budgets(caller, ip, strict, now, false).await
    }

    async fn check_budgets(
        &self,
        caller: Option<&str>,
        ip: IpAddr,
        strict: bool,
        now: u64,
        count_ip: bool,
    ) -> Verdict {
        let keys = self.budgets(caller, ip, strict, count_ip);
        if let Some(shared) = &self.shared {
            let named: Vec<(String, u32)> =
                keys.iter().map(|(k, l)| (k.shared_name(), *l)).collect();
            if named.is_empty() {
                return self.take_local(&keys, now);
            }
            if let Some(verdict) = shared.take(&named).await {
                return verdict;
            }
            shared
                .fallbacks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.take_local(&keys, now)
    }

    /// The budgets a request spends from, with their limits.
    fn budgets(
        &self,
        caller: Option<&str>,
        ip: IpAddr,
        strict: bool,
        count_ip: bool,
    ) -> Vec<(Key, u32)> {
        let s = &self.settings;
        let mut keys = Vec::with_capacity(3);
        if count_ip {
            keys.push((Key::Ip(ip), s.per_ip_per_minute));
        }
        if let Some(c) = caller {
            keys.push((Key::Caller(c.into()), s.per_caller_per_minute));
        }
        if strict {
            keys.push(match caller {
                Some(c) => (Key::StrictCaller(c.into()), s.strict_per_minute),
                None => (Key::StrictIp(ip), s.strict_per_minute),
            });
        }
        keys
    }

    /// Counts in-process (`now` in ms).
    fn take_local(&self, keys: &[(Key, u32)], now: u64) -> Verdict {
        let now = now.saturating_mul(1000);
        let s = &self.settings;
        let mut tightest: Option<Budget> = None;
        for (i, (key, limit)) in keys.iter().enumerate() {
            match self.try_take(key, *limit, now) {
                Ok((remaining, full_in)) => {
                    if tightest.is_none_or(|t| remaining < t.remaining) {
                        tightest = Some(Budget {
                            limit: *limit,
                            remaining,
                            reset: secs(full_in),
                        });
                    }
                }
                Err(fits_in) => {
                    for (taken, limit) in &keys[..i] {
                        self.give_back(taken, *limit);
                    }
                    return Verdict::Limited(Budget {
                        limit: *limit,
                        remaining: 0,
                        reset: secs(fits_in).max(1),
                    });
                }
            }
        }
        Verdict::Allowed(tightest.unwrap_or(Budget {
            limit: s.per_ip_per_minute,
            remaining: s.per_ip_per_minute,
            reset: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(caller: u32, ip: u32, strict: u32) -> Limiter {
        Limiter::new(RateLimitSettings {
            per_caller_per_minute: caller,
            per_ip_per_minute: ip,
            strict_per_minute: strict,
            ..RateLimitSettings::default()
        })
        .unwrap()
        .unwrap()
    }

    /// The in-process count of one request (`now` in ms).
    fn check(l: &Limiter, caller: Option<&str>, ip: IpAddr, strict: bool, now: u64) -> Verdict {
        l.take_local(&l.budgets(caller, ip, strict, true), now)
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const OTHER_IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 9));

    #[test]
    fn a_caller_spends_its_budget_at_once_and_it_refills_one_request_at_a_time() {
        let l = limiter(3, 100, 100);
        let t = 6_000_000; // ms
        let remaining: Vec<_> = (0..3)
            .map(|_| match check(&l, Some("a"), IP, false, t) {
                Verdict::Allowed(b) => b.remaining,
                Verdict::Limited(_) => panic!("limited too early"),
            })
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        // Three a minute: one more fits 20 s after the first.
        assert_eq!(
            check(&l, Some("a"), IP, false, t + 5_000),
            Verdict::Limited(Budget {
                limit: 3,
                remaining: 0,
                reset: 15
            })
        );
        // Another caller from the same IP is not affected.
        assert!(matches!(
            check(&l, Some("b"), IP, false, t + 1),
            Verdict::Allowed(_)
        ));
        assert!(
            matches!(check(&l, Some("a"), IP, false, t + 20_000), Verdict::Allowed(b) if b.remaining == 0)
        );
        assert!(matches!(
            check(&l, Some("a"), IP, false, t + 20_001),
            Verdict::Limited(_)
        ));
        // A minute after the last, the whole budget again.
        assert!(
            matches!(check(&l, Some("a"), IP, false, t + 80_000), Verdict::Allowed(b) if b.remaining == 2)
        );
    }

    #[test]
    fn no_moment_gives_a_caller_twice_its_budget() {
        // Fixed windows let 60 through at 0:59.9 and 60 more at 1:00.1; here the second
        // burst gets only what refilled in between.
        let l = limiter(60, 10_000, 100);
        let t = 59_900;
        let first = (0..100)
            .filter(|_| matches!(check(&l, Some("a"), IP, false, t), Verdict::Allowed(_)))
            .count();
        let second = (0..100)
            .filter(|_| {
                matches!(
                    check(&l, Some("a"), IP, false, t + 200),
                    Verdict::Allowed(_)
                )
            })
            .count();
        assert_eq!((first, second), (60, 0));
        let later = (0..100)
            .filter(|_| {
                matches!(
                    check(&l, Some("a"), IP, false, t + 10_000),
                    Verdict::Allowed(_)
                )
            })
            .count();
        assert_eq!(later, 10, "one a second refilled");
    }

    #[test]
    fn the_ip_budget_covers_every_caller_and_anonymous_requests() {
        let l = limiter(100, 2, 100);
        assert!(matches!(check(&l, None, IP, false, 0), Verdict::Allowed(_)));
        assert!(matches!(
            check(&l, Some("a"), IP, false, 0),
            Verdict::Allowed(_)
        ));
        assert!(matches!(check(&l, Some("b"), IP, false, 0), Verdict::Limited(b) if b.limit == 2));
        assert!(matches!(
            check(&l, None, OTHER_IP, false, 0),
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn strict_endpoints_have_their_own_smaller_budget_and_refusals_count_nothing() {
        let l = limiter(10, 100, 1);
        assert!(
            matches!(check(&l, Some("a"), IP, true, 0), Verdict::Allowed(b) if b.remaining == 0 && b.limit == 1)
        );
        assert!(matches!(check(&l, Some("a"), IP, true, 0), Verdict::Limited(b) if b.limit == 1));
        // The refused strict request did not use the caller's general budget.
        assert!(
            matches!(check(&l, Some("a"), IP, false, 0), Verdict::Allowed(b) if b.remaining == 8)
        );
    }

    #[test]
    fn strict_paths() {
        let post = Method::POST;
        assert!(is_strict(&post, "/api/customer-id/rewards/CID-1/claim"));
        assert!(is_strict(&post, "/api/customer-id/referral/CID-1/track"));
        assert!(is_strict(&post, "/api/customer-id/offers/CID-1/apply"));
        assert!(!is_strict(&post, "/api/customer-id/offers"));
        assert!(is_strict(
            &post,
            "/api/customer-id/referral/CID-1/generate-link"
        ));
        assert!(is_strict(
            &post,
            "/api/customer-id/security/CID-1/2fa/enable"
        ));
        assert!(is_strict(&post, "/api/customer-id/security/2fa/verify"));
        assert!(!is_strict(
            &Method::GET,
            "/api/customer-id/rewards/CID-1/claim"
        ));
        assert!(!is_strict(&post, "/api/customer-id/loyalty/CID-1/redeem"));
        assert!(!is_strict(
            &post,
            "/api/customer-id/rewards/claim-x/details"
        ));
    }

    #[test]
    fn disabled_means_no_limiter() {
        assert!(
            Limiter::new(RateLimitSettings {
                enabled: false,
                ..RateLimitSettings::default()
            })
            .unwrap()
            .is_none()
        );
        let bad = RateLimitSettings {
            redis_url: "not a url".into(),
            ..RateLimitSettings::default()
        };
        assert!(
            Limiter::new(bad).is_err(),
            "a Redis URL that cannot be read is refused"
        );
    }
}
