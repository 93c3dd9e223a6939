//! The customer registry as every other service sees it (SPEC §3.1): one typed client with a
//! short cache that resolves any of a customer's ID formats to the standard ID every service
//! stores under, and tells whether the customer exists and is active.
//!
//! Writes that move value or create state for a customer go through [`Registry::writable`]:
//! unknown → 404 `CUSTOMER_NOT_FOUND`, deactivated → 409 `CUSTOMER_INACTIVE`, registry
//! unreachable → 503 with `Retry-After` (nothing was written, so the caller retries with the
//! same `Idempotency-Key`). Reads use [`Registry::canonical`], which resolves aliases when it
//! can and otherwise keeps the ID as given, so reads keep their documented answers.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use cid_common::contracts::customers::RegistryCustomer;
use cid_common::{CustomerId, ErrorCode, Role};
use reqwest::Method;

use crate::auth::Caller;
use crate::cache::TtlCache;
use crate::client::{CallContext, CallError, ServiceClient};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::settings::Settings;

/// The registry's group name.
pub const REGISTRY: &str = "customers";
/// Entries beyond this many are dropped (expired first) so memory stays bounded.
const CACHE_CAP: usize = 10_000;
/// After the registry failed to answer, calls are not retried for this long: a write is told
/// 503 at once instead of each one waiting for a connection that will not come.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// What the registry said about an ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Known(RegistryCustomer),
    /// The registry has never issued this ID (in any format).
    Unknown,
    /// The registry could not be asked: down, slow or failing.
    Unavailable,
}

pub struct Registry {
    client: ServiceClient,
    cache: TtlCache<RegistryCustomer>,
    failed_at: Mutex<Option<Instant>>,
}

impl Registry {
    /// A registry client for `caller` (the calling service's name).
    pub fn from_settings(settings: &Settings, caller: &str) -> Result<Self, CallError> {
        let client = ServiceClient::new(settings, caller)?
            .with_timeout(Duration::from_millis(settings.registry.timeout_ms.max(1)));
        Ok(Self::new(
            client,
            Duration::from_secs(settings.registry.cache_secs),
        ))
    }

    pub fn new(client: ServiceClient, ttl: Duration) -> Self {
        Self {
            client,
            cache: TtlCache::new(ttl, CACHE_CAP),
            failed_at: Mutex::new(None),
        }
    }

    /// Asks the registry about `id` (any format), or reuses a recent answer.
    pub async fn lookup(&self, id: &str, ctx: &RequestContext) -> Lookup {
        if let Some(found) = self.cache.get(id) {
            return Lookup::Known(found);
        }
        if self.paused() {
            return Lookup::Unavailable;
        }
        let call = CallContext {
            request_id: Some(ctx.request_id.clone()),
            trace: Some(ctx.trace.clone()),
            idempotency_key: None,
        };
        let path = format!("/api/customer-id/customers/{id}");
        match self
            .client
            .call::<(), RegistryCustomer>(REGISTRY, Method::GET, &path, None, &call)
            .await
        {
            Ok(found) => {
                self.cache.put(id, found.clone());
                Lookup::Known(found)
            }
            Err(CallError::Status { status: 404, .. }) => Lookup::Unknown,
            Err(e) => {
                tracing::warn!(customer = id, error = %e, "customer registry unavailable");
                *self.failed_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
                Lookup::Unavailable
            }
        }
    }

    /// The active customer a write is for, with `caller` allowed: the customer themself
    /// (by any of their ID formats) or a caller holding one of `roles`. Returns the
    /// registry's record; its `customer_id` is the standard ID to store under.
    pub async fn writable(
        &self,
        raw: &str,
        caller: &Caller,
        roles: &[Role],
        ctx: &RequestContext,
    ) -> Result<RegistryCustomer, ApiError> {
        let id = CustomerId::parse(raw)?;
        let direct = caller.require_owner_or(&id, roles);
        // A customer naming themself by an alias is only known to be themself once resolved;
        // anyone else is refused before the registry is asked anything.
        if let Err(refused) = &direct
            && !caller.has(Role::Customer)
        {
            return Err(refused.clone());
        }
        let found = self.require_active(&id, ctx).await;
        if direct.is_err() {
            let standard = found.as_ref().map(|c| c.customer_id.as_str()).ok();
            if standard != Some(caller.subject.as_str()) {
                return Err(ApiError::new(ErrorCode::Forbidden));
            }
        }
        found
    }

    /// The active customer behind `id`, or the error a write answers with.
    pub async fn require_active(
        &self,
        id: &CustomerId,
        ctx: &RequestContext,
    ) -> Result<RegistryCustomer, ApiError> {
        let c = self.require_known(id, ctx).await?;
        if c.active {
            Ok(c)
        } else {
            Err(ApiError::new(ErrorCode::CustomerInactive).arg("id", c.customer_id))
        }
    }

    /// The customer behind `id`, active or not: for a service about to store something on
    /// a read (a first computation), which must not do so for an ID nobody issued.
    pub async fn require_known(
        &self,
        id: &CustomerId,
        ctx: &RequestContext,
    ) -> Result<RegistryCustomer, ApiError> {
        match self.lookup(id.as_str(), ctx).await {
            Lookup::Known(c) => Ok(c),
            Lookup::Unknown => Err(ApiError::new(ErrorCode::CustomerNotFound).arg("id", id)),
            Lookup::Unavailable => Err(ApiError::new(ErrorCode::ServiceUnavailable)
                .arg("service", REGISTRY)
                .retry_after(2)),
        }
    }

    /// The standard ID to read `id` under: itself when it already is one, the registry's
    /// answer for an alias, and `id` as given when the registry does not know it or cannot
    /// be asked (a read then shows what is stored under that exact ID).
    pub async fn canonical(&self, id: &CustomerId, ctx: &RequestContext) -> String {
        if id.is_standard_form() {
            return id.as_str().to_owned();
        }
        match self.lookup(id.as_str(), ctx).await {
            Lookup::Known(c) => c.customer_id,
            Lookup::Unknown | Lookup::Unavailable => id.as_str().to_owned(),
        }
    }

    fn paused(&self) -> bool {
        let failed = self.failed_at.lock().unwrap_or_else(|p| p.into_inner());
        failed.is_some_and(|at| at.elapsed() < PAUSE_AFTER_FAILURE)
    }
}
