//! Budgets kept in Redis, so that every gateway replica spends from the same ones: the same
//! GCRA as in-process, for all of a request's budgets at once (one Lua call: nothing is taken
//! unless every budget has room), on Redis's clock so the replicas' clocks do not matter.
//!
//! When Redis does not answer within [`TIMEOUT`], the request is counted in-process instead
//! (each replica then limits on its own: per replica, the same budgets) and Redis is left
//! alone for [`BACKOFF`] before it is tried again; `cid_gateway_rate_limit_fallbacks_total`
//! counts those requests and a warning is logged at most once per backoff.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

use super::{Budget, PERIOD_US, Verdict, secs};

/// Longer than a healthy Redis on the same network ever takes; short enough to add little to
/// a request when it is gone.
pub const TIMEOUT: Duration = Duration::from_millis(100);
/// How long Redis is left alone after it failed.
pub const BACKOFF: Duration = Duration::from_secs(1);

const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
local nexts = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local nx = tat + interval
  if nx - now > period then
    return {0, i, nx - now - period, 0}
  end
  nexts[i] = nx
end
local best, best_i, reset = -1, 1, 0
for i = 1, #KEYS do
  local interval = tonumber(ARGV[i + 1])
  local ttl = math.floor((nexts[i] - now) / 1000) + 1
  redis.call('SET', KEYS[i], string.format('%.0f', nexts[i]), 'PX', ttl)
  local rem = math.floor((period - (nexts[i] - now)) / interval)
  if best < 0 or rem < best then best, best_i, reset = rem, i, nexts[i] - now end
end
return {1, best_i, reset, best}
";

const GIVE_BACK: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECRBY', KEYS[1], ARGV[1]) end
return 0
";

pub struct Shared {
    client: redis::Client,
    conn: tokio::sync::OnceCell<ConnectionManager>,
    take: redis::Script,
    give_back: redis::Script,
    started: Instant,
    /// Milliseconds since `started` before which Redis is not asked.
    resting_until: AtomicU64,
    /// Requests counted in-process because Redis did not answer.
    pub fallbacks: AtomicU64,
}

impl Shared {
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: tokio::sync::OnceCell::new(),
            take: redis::Script::new(TAKE),
            give_back: redis::Script::new(GIVE_BACK),
            started: Instant::now(),
            resting_until: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A connection (made on first use; it reconnects by itself), unless Redis is resting.
    async fn connection(&self) -> Option<ConnectionManager> {
        if self.now_ms() < self.resting_until.load(Ordering::Relaxed) {
            return None;
        }
        let made = self
            .conn
            .get_or_try_init(|| async {
                match tokio::time::timeout(TIMEOUT, ConnectionManager::new(self.client.clone()))
                    .await
                {
                    Ok(Ok(c)) => Ok(c),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer".to_owned()),
                }
            })
            .await;
        match made {
            Ok(c) => Some(c.clone()),
            Err(e) => self.failed(&e),
        }
    }

    fn failed<T>(&self, why: &str) -> Option<T> {
        let until = self.now_ms() + u64::try_from(BACKOFF.as_millis()).unwrap_or(1000);
        let was = self.resting_until.swap(until, Ordering::Relaxed);
        if was <= self.now_ms() {
            tracing::warn!(
                error = why,
                "rate limits: Redis unavailable; counting in-process"
            );
        }
        None
    }

    /// Takes one request from every budget in `keys` (name, limit a minute), or none; `None`
    /// when Redis did not answer (the caller counts in-process).
    pub async fn take(&self, keys: &[(String, u32)]) -> Option<Verdict> {
        let mut conn = self.connection().await?;
        let mut call = self.take.prepare_invoke();
        call.arg(PERIOD_US);
        for (key, limit) in keys {
            call.key(key.as_str())
                .arg(PERIOD_US / u64::from((*limit).max(1)));
        }
        let answer = tokio::time::timeout(TIMEOUT, call.invoke_async::<Vec<i64>>(&mut conn)).await;
        let parts = match answer {
            Ok(Ok(parts)) if parts.len() == 4 => parts,
            Ok(Ok(_)) => return self.failed("an answer of another shape"),
            Ok(Err(e)) => return self.failed(&e.to_string()),
            Err(_) => return self.failed("no answer"),
        };
        let index = usize::try_from(parts[1] - 1)
            .unwrap_or(0)
            .min(keys.len() - 1);
        let limit = keys[index].1;
        let micros = u64::try_from(parts[2]).unwrap_or(0);
        Some(if parts[0] == 1 {
            Verdict::Allowed(Budget {
                limit,
                remaining: u32::try_from(parts[3]).unwrap_or(0),
                reset: secs(micros),
            })
        } else {
            Verdict::Limited(Budget {
                limit,
                remaining: 0,
                reset: secs(micros).max(1),
            })
        })
    }

    /// Gives back one request of `key`'s budget; false when Redis did not answer.
    pub async fn give_back(&self, key: &str, limit: u32) -> bool {
        let Some(mut conn) = self.connection().await else {
            return false;
        };
        let mut call = self.give_back.key(key);
        call.arg(PERIOD_US / u64::from(limit.max(1)));
        matches!(
            tokio::time::timeout(TIMEOUT, call.invoke_async::<i64>(&mut conn)).await,
            Ok(Ok(_))
        )
    }
}
