//! Where a customer's special dates come from: the registry (`birthDate`, `joinDate`,
//! `active`, through the kit's shared [`Registry`]), analytics (the first and tenth purchase)
//! and loyalty (1,000 lifetime points), both with `ServiceClient`, reused for a short while
//! so that listing rewards does not cost three calls every time.

use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use cid_common::contracts::analytics::PurchaseMilestones;
use cid_common::contracts::loyalty::Milestones;
use cid_kit::RequestContext;
use cid_kit::cache::TtlCache;
use cid_kit::client::{CallContext, ServiceClient};
use cid_kit::registry::{self, Registry};
use reqwest::Method;

use crate::domain::occurrences::Facts;

/// What the registry answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The customer's standard ID (whichever format was asked for) and dates.
    Known(String, Facts),
    /// The registry has no such customer.
    Unknown,
    /// The registry could not be asked (down, slow, failing): only rewards already issued
    /// are shown, and nothing new is issued until it answers again.
    Unavailable,
}

/// The one milestone loyalty tells (the purchase milestones are analytics').
const POINTS_MILESTONE: &str = "lifetime_points_1000";

/// Cache entries beyond this many are dropped (oldest first) so memory stays bounded.
const CACHE_CAP: usize = 10_000;

pub struct Sources {
    registry: Registry,
    client: ServiceClient,
    utc_offset_minutes: i32,
    cache: TtlCache<(String, Facts)>,
}

impl Sources {
    pub fn new(
        registry: Registry,
        client: ServiceClient,
        ttl: Duration,
        utc_offset_minutes: i32,
    ) -> Self {
        Self {
            registry,
            client,
            utc_offset_minutes,
            cache: TtlCache::new(ttl, CACHE_CAP),
        }
    }

    /// The business day of an RFC 3339 instant.
    fn day(&self, at: &str) -> Option<NaiveDate> {
        let at = DateTime::parse_from_rfc3339(at).ok()?.naive_utc();
        Some((at + chrono::Duration::minutes(i64::from(self.utc_offset_minutes))).date())
    }

    /// The registry every rewards write resolves its customer through.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub async fn lookup(&self, customer: &str, ctx: &RequestContext) -> Lookup {
        if let Some((id, facts)) = self.cache.get(customer) {
            return Lookup::Known(id, facts);
        }
        let call = CallContext {
            request_id: Some(ctx.request_id.clone()),
            trace: Some(ctx.trace.clone()),
            idempotency_key: None,
        };
        let registry = match self.registry.lookup(customer, ctx).await {
            registry::Lookup::Known(found) => found,
            registry::Lookup::Unknown => return Lookup::Unknown,
            registry::Lookup::Unavailable => return Lookup::Unavailable,
        };
        let Some(join_date) = self.day(&registry.join_date) else {
            tracing::warn!(customer, "registry sent an unreadable joinDate");
            return Lookup::Unavailable;
        };
        let birth_date = registry
            .birth_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let (points_path, purchases_path) = (
            Milestones::path(&registry.customer_id),
            PurchaseMilestones::path(&registry.customer_id),
        );
        let (points, purchases) = tokio::join!(
            self.client
                .call::<(), Milestones>("loyalty", Method::GET, &points_path, None, &call,),
            self.client.call::<(), PurchaseMilestones>(
                "analytics",
                Method::GET,
                &purchases_path,
                None,
                &call,
            ),
        );
        // Purchases are analytics' (the source of truth for them); loyalty tells the points
        // milestone. What a source that cannot be asked would add waits for the next read.
        let mut complete = true;
        let mut milestones = Vec::new();
        match points {
            Ok(m) => milestones.extend(
                m.milestones
                    .into_iter()
                    .filter(|m| m.milestone == POINTS_MILESTONE),
            ),
            Err(e) => {
                complete = false;
                tracing::warn!(customer, error = %e, "loyalty unavailable; the points milestone waits");
            }
        }
        match purchases {
            Ok(m) => milestones.extend(m.milestones),
            Err(e) => {
                complete = false;
                tracing::warn!(customer, error = %e, "analytics unavailable; purchase milestones wait");
            }
        }
        let milestones = milestones
            .into_iter()
            .filter_map(|m| Some((m.milestone, self.day(&m.reached_at)?)))
            .collect();
        let facts = Facts {
            birth_date,
            join_date,
            active: registry.active,
            milestones,
        };
        // Facts missing a source's milestones are not kept: the next read asks again.
        if complete {
            self.cache
                .put(customer, (registry.customer_id.clone(), facts.clone()));
        }
        Lookup::Known(registry.customer_id, facts)
    }
}
