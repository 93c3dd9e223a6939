//! # Segmentation service
//!
//! Owns `segment_assignments` (each customer's current segment, how it was decided and the
//! figures it was decided on) and `segment_changes` (every change, append-only). Segments are
//! computed from analytics' figures (`GET /analytics/{id}/activity`, a typed contract) on
//! every read while analytics answers (stored again only when the figures moved), and by a
//! job for customers nobody reads; the last
//! stored assignment is served with `stale: true` when analytics cannot be asked. Calls the
//! customer registry to resolve customers. Emits `segmentation.segment_changed`.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use chrono::Utc;
use cid_common::contracts::analytics::CustomerActivity;
use cid_kit::client::{CallContext, ServiceClient};
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::{AppSpec, Job};
use cid_kit::{ApiError, Db, RequestContext, Settings};
use serde::Deserialize;
use utoipa::OpenApi;

use domain::Thresholds;

pub const SERVICE: &str = "segmentation";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[segmentation]` settings.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentationSettings {
    /// VIP: at least this much spent in the last twelve months, in SAR.
    #[serde(default = "d_vip")]
    pub vip_spend_sar: i64,
    /// Frequent: at least this many purchases in the last twelve months.
    #[serde(default = "d_frequent")]
    pub frequent_purchases: i64,
    /// Inactive: no purchase for this many days.
    #[serde(default = "d_inactive")]
    pub inactive_days: i64,
    /// At risk: the last 90 days' purchases at most this percentage of the 90 before.
    #[serde(default = "d_at_risk")]
    pub at_risk_percent: i64,
    /// The job recomputes assignments older than this, in seconds.
    #[serde(default = "d_recompute")]
    pub recompute_after_secs: u64,
    /// How often the job runs, in seconds.
    #[serde(default = "d_job")]
    pub job_interval_secs: u64,
}

fn d_vip() -> i64 {
    Thresholds::default().vip_spend_sar
}
fn d_frequent() -> i64 {
    Thresholds::default().frequent_purchases
}
fn d_inactive() -> i64 {
    Thresholds::default().inactive_days
}
fn d_at_risk() -> i64 {
    Thresholds::default().at_risk_percent
}
fn d_recompute() -> u64 {
    3600
}
fn d_job() -> u64 {
    300
}

impl Default for SegmentationSettings {
    fn default() -> Self {
        Self {
            vip_spend_sar: d_vip(),
            frequent_purchases: d_frequent(),
            inactive_days: d_inactive(),
            at_risk_percent: d_at_risk(),
            recompute_after_secs: d_recompute(),
            job_interval_secs: d_job(),
        }
    }
}

impl SegmentationSettings {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            vip_spend_sar: self.vip_spend_sar,
            frequent_purchases: self.frequent_purchases,
            inactive_days: self.inactive_days,
            at_risk_percent: self.at_risk_percent,
        }
    }
}

/// What handlers need besides the database.
pub struct SegmentationState {
    pub thresholds: Thresholds,
    /// Where customers are resolved.
    pub registry: web::Data<cid_kit::Registry>,
    /// Calls to analytics.
    pub client: ServiceClient,
}

impl SegmentationState {
    /// The customer's figures from analytics; `None` (and a log line) when it cannot be asked.
    pub async fn activity(
        &self,
        customer: &str,
        ctx: Option<&RequestContext>,
    ) -> Option<CustomerActivity> {
        let call = CallContext {
            request_id: ctx.map(|c| c.request_id.clone()),
            trace: ctx.map(|c| c.trace.clone()),
            idempotency_key: None,
        };
        let path = CustomerActivity::path(customer);
        match self
            .client
            .call::<(), CustomerActivity>("analytics", reqwest::Method::GET, &path, None, &call)
            .await
        {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!(customer, error = %e, "analytics unavailable; serving the stored segment");
                None
            }
        }
    }
}

/// The service's OpenAPI document, as served and checked in.
pub fn openapi() -> serde_json::Value {
    cid_kit::openapi::finish(SERVICE, routes::ApiDoc::openapi())
}

/// Recomputes assignments nobody read for `recompute_after_secs` (a customer becomes inactive
/// after 90 days without a purchase even if nobody looks).
fn recompute_job(state: Arc<SegmentationState>, config: SegmentationSettings) -> Job {
    Job {
        name: "recompute stale segments",
        every: Duration::from_secs(config.job_interval_secs.max(1)),
        run: Arc::new(move |db: Db| {
            let state = state.clone();
            Box::pin(async move {
                let now = Utc::now().naive_utc();
                let before = now - chrono::Duration::seconds(config.recompute_after_secs as i64);
                let stale = db.query(move |c| store::stale(c, before, 100)).await?;
                let mut done = 0;
                for customer in stale {
                    let Some(activity) = state.activity(&customer, None).await else {
                        return Err(ApiError::new(cid_common::ErrorCode::ServiceUnavailable)
                            .arg("service", "analytics"));
                    };
                    let segment = domain::classify(&activity, &state.thresholds, now);
                    db.transact(move |c| {
                        ops::record_computed(c, &customer, segment, &activity, now)
                    })
                    .await?;
                    done += 1;
                }
                Ok(done)
            })
        }),
    }
}

/// Connects the database (migrating it) and assembles the service.
pub fn app_spec(
    settings: &Settings,
    database_url: &str,
) -> Result<AppSpec, Box<dyn std::error::Error>> {
    let config: SegmentationSettings = settings.section(SERVICE)?;
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let state = Arc::new(SegmentationState {
        thresholds: config.thresholds(),
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        client: ServiceClient::new(settings, SERVICE)?.with_timeout(Duration::from_secs(2)),
    });
    let data = web::Data::from(state.clone());
    let (taker, taker_db) = (data.clone(), db.clone());
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(data.clone());
        cfg.app_data(data.registry.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec
        .with_jobs(vec![
            recompute_job(state, config),
            cid_kit::outbox::events_job(settings, SERVICE)?,
        ])
        .with_event_consumer(
            settings,
            Arc::new(move |event, ctx| {
                let (state, db) = (taker.clone(), taker_db.clone());
                Box::pin(async move { handlers::take(&state, &db, event, &ctx).await.map(drop) })
            }),
        ))
}
