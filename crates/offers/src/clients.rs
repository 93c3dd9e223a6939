//! What offers asks other services about a customer, through `ServiceClient` and the shared
//! contract types, each answer reused for a short while: the segment (segmentation), the
//! tier (loyalty) and the favourite category (analytics). A source that cannot be asked
//! gives `None`; the caller decides what that means.

use std::time::Duration;

use cid_common::contracts::analytics::CustomerActivity;
use cid_common::contracts::loyalty::{Standing, Tier};
use cid_common::contracts::segmentation::CustomerSegment;
use cid_kit::RequestContext;
use cid_kit::cache::TtlCache;
use cid_kit::client::{CallContext, ServiceClient};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::domain::Facts;

const CACHE_CAP: usize = 10_000;

/// Which facts a decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Need {
    pub segment: bool,
    pub tier: bool,
    pub favourite: bool,
}

/// The answers, with the services that could not be asked.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub facts: Facts,
    /// True when segmentation served its last stored segment (analytics was down).
    pub segment_stale: bool,
    pub favourite: Option<String>,
    pub unavailable: Vec<&'static str>,
}

pub struct Sources {
    client: ServiceClient,
    segments: TtlCache<CustomerSegment>,
    tiers: TtlCache<Tier>,
    favourites: TtlCache<Option<String>>,
}

impl Sources {
    pub fn new(client: ServiceClient, ttl: Duration) -> Self {
        Self {
            client,
            segments: TtlCache::new(ttl, CACHE_CAP),
            tiers: TtlCache::new(ttl, CACHE_CAP),
            favourites: TtlCache::new(ttl, CACHE_CAP),
        }
    }

    pub fn client(&self) -> &ServiceClient {
        &self.client
    }

    async fn get<T: DeserializeOwned>(
        &self,
        service: &'static str,
        path: String,
        ctx: &RequestContext,
    ) -> Option<T> {
        let call = CallContext {
            request_id: Some(ctx.request_id.clone()),
            trace: Some(ctx.trace.clone()),
            idempotency_key: None,
        };
        match self
            .client
            .call::<(), T>(service, Method::GET, &path, None, &call)
            .await
        {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(service, error = %e, "a source of offer facts is unavailable");
                None
            }
        }
    }

    async fn segment(
        &self,
        customer: &str,
        fresh: bool,
        ctx: &RequestContext,
    ) -> Option<CustomerSegment> {
        if let Some(hit) = self.segments.get(customer).filter(|_| !fresh) {
            return Some(hit);
        }
        let got: CustomerSegment = self
            .get("segmentation", CustomerSegment::path(customer), ctx)
            .await?;
        // A stale segment is served but not kept: the next read asks again.
        if !got.stale {
            self.segments.put(customer, got.clone());
        }
        Some(got)
    }

    async fn tier(&self, customer: &str, fresh: bool, ctx: &RequestContext) -> Option<Tier> {
        if let Some(hit) = self.tiers.get(customer).filter(|_| !fresh) {
            return Some(hit);
        }
        let got: Standing = self.get("loyalty", Standing::path(customer), ctx).await?;
        self.tiers.put(customer, got.tier);
        Some(got.tier)
    }

    async fn favourite(&self, customer: &str, ctx: &RequestContext) -> Option<Option<String>> {
        if let Some(hit) = self.favourites.get(customer) {
            return Some(hit);
        }
        let got: CustomerActivity = self
            .get("analytics", CustomerActivity::path(customer), ctx)
            .await?;
        self.favourites.put(customer, got.favorite_category.clone());
        Some(got.favorite_category)
    }

    /// Asks for what `need` names, at once; `fresh` skips the cache for segment and tier.
    pub async fn ask(
        &self,
        customer: &str,
        need: Need,
        fresh: bool,
        ctx: &RequestContext,
    ) -> Answers {
        let (segment, tier, favourite) = tokio::join!(
            async {
                if need.segment {
                    Some(self.segment(customer, fresh, ctx).await)
                } else {
                    None
                }
            },
            async {
                if need.tier {
                    Some(self.tier(customer, fresh, ctx).await)
                } else {
                    None
                }
            },
            async {
                if need.favourite {
                    Some(self.favourite(customer, ctx).await)
                } else {
                    None
                }
            },
        );
        let mut answers = Answers::default();
        match segment {
            Some(Some(s)) => {
                answers.facts.segment = Some(s.segment);
                answers.segment_stale = s.stale;
            }
            Some(None) => answers.unavailable.push("segmentation"),
            None => {}
        }
        match tier {
            Some(Some(t)) => answers.facts.tier = Some(t),
            Some(None) => answers.unavailable.push("loyalty"),
            None => {}
        }
        match favourite {
            Some(Some(f)) => answers.favourite = f,
            Some(None) => answers.unavailable.push("analytics"),
            None => {}
        }
        answers
    }
}
