//! `ServiceClient`: how one service calls another (DESIGN §5). It signs each call with a
//! short-lived `service` token, passes on the request ID and trace context, bounds every call
//! with a timeout, and retries only what is safe to send twice (idempotent methods, or calls
//! carrying an `Idempotency-Key`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cid_common::Role;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::settings::Settings;
use crate::trace::TraceContext;

/// Lifetime of the service tokens this client mints, in seconds.
const TOKEN_TTL: i64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Nothing came back: connection refused, timeout, broken connection.
    #[error("{service} unreachable: {reason}")]
    Unreachable { service: String, reason: String },
    /// The callee answered with an error status.
    #[error("{service} answered {status}: {body}")]
    Status {
        service: String,
        status: u16,
        body: String,
    },
    #[error("{0}")]
    Other(String),
}

impl CallError {
    /// Worth trying again later (the callee was down, busy or failing).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Status { status, .. } => *status >= 500 || *status == 429 || *status == 409,
            Self::Other(_) => false,
        }
    }
}

/// What travels with one call besides its body.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    pub request_id: Option<String>,
    pub trace: Option<TraceContext>,
    pub idempotency_key: Option<String>,
}

/// A `reqwest::Client` built on its first call, shared by the clones of its owner. Where
/// reqwest has TLS (in a binary with notifications' https providers and webhooks), building
/// a client reads and parses every root certificate of the system: an idle service then
/// holds none of that, and a host without certificates still starts (only an https call
/// would fail, with the reason).
#[derive(Clone)]
pub struct LazyHttp {
    cell: Arc<std::sync::OnceLock<reqwest::Client>>,
    configure: fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
}

impl LazyHttp {
    pub fn new(configure: fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder) -> Self {
        Self {
            cell: Arc::default(),
            configure,
        }
    }

    /// The client, built now if this is the first call.
    pub fn get(&self) -> Result<&reqwest::Client, reqwest::Error> {
        if let Some(client) = self.cell.get() {
            return Ok(client);
        }
        let built = (self.configure)(reqwest::Client::builder()).build()?;
        // Two first calls at once build two; one is kept.
        Ok(self.cell.get_or_init(|| built))
    }
}

#[derive(Clone)]
pub struct ServiceClient {
    http: LazyHttp,
    settings: Arc<Settings>,
    caller: String,
    token: Arc<Mutex<Option<(String, Instant)>>>,
    timeout: Duration,
    /// Where domain events go when `[events] bus = "jetstream"`.
    bus: Option<Arc<crate::bus::Publisher>>,
}

impl ServiceClient {
    /// A client for `caller` (the calling service's name, the token's subject).
    pub fn new(settings: &Settings, caller: &str) -> Result<Self, CallError> {
        let http = LazyHttp::new(|b| {
            b.pool_idle_timeout(Duration::from_secs(60))
                .connect_timeout(Duration::from_secs(2))
        });
        Ok(Self {
            http,
            settings: Arc::new(settings.clone()),
            caller: caller.to_owned(),
            token: Arc::new(Mutex::new(None)),
            timeout: Duration::from_secs(5),
            bus: crate::bus::Publisher::from_settings(settings, caller),
        })
    }

    /// The event bus's publisher, when events go over the bus rather than HTTP.
    pub fn bus(&self) -> Option<&crate::bus::Publisher> {
        self.bus.as_deref()
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn token(&self) -> Result<String, CallError> {
        let mut slot = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, minted)) = slot.as_ref()
            && minted.elapsed() < Duration::from_secs((TOKEN_TTL / 2) as u64)
        {
            return Ok(token.clone());
        }
        let token = crate::auth::mint(
            &self.settings.auth,
            &self.caller,
            &[Role::Service],
            TOKEN_TTL,
        )
        .map_err(|e| CallError::Other(e.to_string()))?;
        *slot = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    /// Calls `method path` on `service` with an optional JSON body and returns the `data`
    /// of its success envelope.
    pub async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        service: &str,
        method: Method,
        path: &str,
        body: Option<&B>,
        ctx: &CallContext,
    ) -> Result<T, CallError> {
        let base = self
            .settings
            .endpoint(service)
            .map_err(|e| CallError::Other(e.to_string()))?
            .base_url();
        let safe = ctx.idempotency_key.is_some()
            || matches!(
                method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE
            );
        let attempts = if safe { 3 } else { 1 };
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            match self
                .once(service, &base, method.clone(), path, body, ctx)
                .await
            {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| CallError::Other("no attempt made".into())))
    }

    async fn once<B: Serialize, T: DeserializeOwned>(
        &self,
        service: &str,
        base: &str,
        method: Method,
        path: &str,
        body: Option<&B>,
        ctx: &CallContext,
    ) -> Result<T, CallError> {
        let http = self
            .http
            .get()
            .map_err(|e| CallError::Other(e.to_string()))?;
        let mut req = http
            .request(method, format!("{base}{path}"))
            .timeout(self.timeout)
            .bearer_auth(self.token()?);
        if let Some(id) = &ctx.request_id {
            req = req.header("X-Request-Id", id);
        }
        let trace = ctx.trace.clone().unwrap_or_else(TraceContext::root);
        req = req.header("traceparent", trace.header());
        if let Some(key) = &ctx.idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let unreachable = |e: reqwest::Error| CallError::Unreachable {
            service: service.to_owned(),
            reason: e.to_string(),
        };
        let res = req.send().await.map_err(unreachable)?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(CallError::Status {
                service: service.to_owned(),
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
            });
        }
        #[derive(serde::Deserialize)]
        struct Envelope<T> {
            data: T,
        }
        serde_json::from_slice::<Envelope<T>>(&bytes)
            .map(|e| e.data)
            .map_err(|e| CallError::Other(format!("{service} answered {}: {e}", status)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lazy_client_is_built_on_first_use_once_for_all_its_clones() {
        let lazy = LazyHttp::new(|b| b.connect_timeout(Duration::from_secs(1)));
        let copy = lazy.clone();
        assert!(lazy.cell.get().is_none(), "nothing is built before a call");
        let first: *const reqwest::Client = lazy.get().unwrap();
        let second: *const reqwest::Client = copy.get().unwrap();
        assert_eq!(first, second);
    }
}
