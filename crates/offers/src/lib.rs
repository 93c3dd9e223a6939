//! # Offers service
//!
//! Owns `offers` (the catalog: bilingual texts, discount, window, targets, per-customer
//! limit, budget and what is used of it), `redemptions` (each apply, rolled back at most
//! once) and `offer_uses` (each customer's applied count per offer); catalog edits go to the
//! kit's audit log with the definition before and after.
//! Asks segmentation (segment), loyalty (tier) and analytics (favourite category) through
//! typed contracts with a short cache; resolves customers through the registry. Credits a
//! points multiplier's extra points to loyalty, and reverses them on rollback, through the
//! outbox. Emits `offers.offer_redeemed`.

pub mod clients;
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
use cid_kit::client::ServiceClient;
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::AppSpec;
use cid_kit::{Db, Settings};
use serde::Deserialize;
use utoipa::OpenApi;

pub const SERVICE: &str = "offers";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[offers]` settings.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffersSettings {
    /// What free shipping saves, in SAR (two decimals at most).
    #[serde(default = "d_fee")]
    pub shipping_fee_sar: f64,
    /// How long segment, tier and favourite category are reused, in seconds.
    #[serde(default = "d_cache")]
    pub facts_cache_secs: u64,
    /// How often undelivered credits and reversals are retried, in milliseconds.
    #[serde(default = "d_outbox")]
    pub outbox_interval_ms: u64,
}

fn d_fee() -> f64 {
    25.0
}
fn d_cache() -> u64 {
    5
}
fn d_outbox() -> u64 {
    2000
}

impl Default for OffersSettings {
    fn default() -> Self {
        Self {
            shipping_fee_sar: d_fee(),
            facts_cache_secs: d_cache(),
            outbox_interval_ms: d_outbox(),
        }
    }
}

impl OffersSettings {
    /// The shipping fee in halalas; a negative fee or one with more than two decimals stops
    /// start-up.
    pub fn shipping_fee_minor(&self) -> Result<i64, String> {
        cid_common::time::minor_units(self.shipping_fee_sar)
            .filter(|m| *m >= 0)
            .ok_or_else(|| {
                format!(
                    "[offers] shipping_fee_sar must be a non-negative amount with at most two decimals, not {}",
                    self.shipping_fee_sar
                )
            })
    }
}

/// What handlers need besides the database.
pub struct OffersState {
    /// Where customers are resolved.
    pub registry: cid_kit::Registry,
    /// Segment, tier and favourite category, and the client the outbox delivers with.
    pub sources: clients::Sources,
    pub shipping_fee_minor: i64,
}

/// The service's OpenAPI document, as served and checked in.
pub fn openapi() -> serde_json::Value {
    cid_kit::openapi::finish(SERVICE, routes::ApiDoc::openapi())
}

/// Connects the database (migrating it) and assembles the service.
pub fn app_spec(
    settings: &Settings,
    database_url: &str,
) -> Result<AppSpec, Box<dyn std::error::Error>> {
    let config: OffersSettings = settings.section(SERVICE)?;
    let shipping_fee_minor = config.shipping_fee_minor()?;
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let client = ServiceClient::new(settings, SERVICE)?.with_timeout(Duration::from_secs(2));
    let outbox = cid_kit::outbox::job(
        client.clone(),
        Duration::from_millis(config.outbox_interval_ms.max(100)),
    );
    let state = web::Data::new(OffersState {
        registry: cid_kit::Registry::from_settings(settings, SERVICE)?,
        sources: clients::Sources::new(client, Duration::from_secs(config.facts_cache_secs)),
        shipping_fee_minor,
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec.with_jobs(vec![outbox]))
}
