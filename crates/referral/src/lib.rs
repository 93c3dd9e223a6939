//! # Referral service
//!
//! Owns `referral_codes` (one active code per customer) and `referrals` (one per referee,
//! pending until the referee's first purchase). A completed referral pays 100 points to the
//! referrer and 50 to the new customer by calling loyalty through the transactional outbox
//! (SPEC §3.3), so the payout lands exactly once even when loyalty is down at the time.
//! Emits `referral.completed` (about the referrer).

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

pub const SERVICE: &str = "referral";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[referral]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralSettings {
    /// Referral links are `<link_base>/ref/<code>`.
    pub link_base: String,
    /// How often the outbox deliverer retries payouts, in milliseconds.
    #[serde(default = "default_outbox_ms")]
    pub outbox_interval_ms: u64,
}

fn default_outbox_ms() -> u64 {
    2000
}

impl Default for ReferralSettings {
    fn default() -> Self {
        Self {
            link_base: "https://marketplace.example".into(),
            outbox_interval_ms: default_outbox_ms(),
        }
    }
}

/// What handlers need besides the database.
pub struct ReferralState {
    pub link_base: String,
    pub client: ServiceClient,
    /// Where every write's customers are resolved.
    pub registry: web::Data<cid_kit::Registry>,
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
    let config: ReferralSettings = settings.section(SERVICE)?;
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let client = ServiceClient::new(settings, SERVICE)?;
    let outbox = cid_kit::outbox::job(
        client.clone(),
        Duration::from_millis(config.outbox_interval_ms.max(100)),
    );
    let state = web::Data::new(ReferralState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        link_base: config.link_base,
        client,
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec.with_jobs(vec![outbox]))
}
