//! # Loyalty service
//!
//! Owns the points ledger (`ledger_entries`, append-only) and the cached account state
//! (`loyalty_accounts`): earning, redemption, reversal, expiry and tiers (SPEC §3.2).
//! Calls the customer registry to resolve the customer of every write (and aliases on
//! reads). Emits `loyalty.points_earned`, `points_redeemed`, `points_expired`,
//! `points_reversed` and `tier_changed` in the transaction of each movement.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod jobs;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod store;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use chrono::{Months, NaiveDateTime};
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::{AppSpec, Running};
use cid_kit::{Db, Settings};
use serde::Deserialize;
use utoipa::OpenApi;

pub const SERVICE: &str = "loyalty";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[loyalty]` settings: expiry and tier windows.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltySettings {
    pub expiry_months: u32,
    pub tier_window_months: u32,
    pub tier_grace_months: u32,
    /// How often the sweep expires due lots of accounts nobody touched.
    #[serde(default = "default_sweep_secs")]
    pub expiry_sweep_secs: u64,
}

fn default_sweep_secs() -> u64 {
    300
}

impl Default for LoyaltySettings {
    fn default() -> Self {
        Self {
            expiry_sweep_secs: default_sweep_secs(),
            expiry_months: 12,
            tier_window_months: 12,
            tier_grace_months: 12,
        }
    }
}

impl LoyaltySettings {
    pub(crate) fn window_start(&self, now: NaiveDateTime) -> NaiveDateTime {
        now.checked_sub_months(Months::new(self.tier_window_months))
            .unwrap_or(now)
    }

    /// When a tier basis whose oldest entry is `oldest` must be recomputed: a day before that
    /// entry can leave the window, so month-end rounding can only make it early.
    pub(crate) fn basis_valid_until(&self, oldest: NaiveDateTime) -> Option<NaiveDateTime> {
        oldest
            .checked_add_months(Months::new(self.tier_window_months))
            .map(|t| t - chrono::Duration::days(1))
    }

    pub(crate) fn expiry(&self, now: NaiveDateTime) -> NaiveDateTime {
        now.checked_add_months(Months::new(self.expiry_months))
            .unwrap_or(now)
    }
}

/// What handlers need besides the database.
pub struct LoyaltyState {
    pub policy: LoyaltySettings,
    /// Where every write's customer is resolved.
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
    let policy: LoyaltySettings = settings.section(SERVICE)?;
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let state = web::Data::new(LoyaltyState {
        policy,
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec.with_jobs(vec![
        jobs::expiry_job(policy),
        cid_kit::outbox::events_job(settings, SERVICE)?,
    ]))
}

/// Starts the service on `listener` in the current runtime.
pub fn start(spec: AppSpec, listener: TcpListener) -> std::io::Result<Running> {
    cid_kit::server::start(spec, listener)
}
