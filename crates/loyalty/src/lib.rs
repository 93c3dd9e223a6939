//! # Loyalty service
//!
//! Owns the points ledger (`ledger_entries`, append-only) and the cached account state
//! (`loyalty_accounts`): earning, redemption, reversal, expiry and tiers (SPEC §3.2).
//! Calls the customer registry to resolve the customer of every write (and aliases on
//! reads). Events (points earned/redeemed/expired, tier changed) arrive with the outbox in a
//! later issue.

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
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::{AppSpec, Running};
use cid_kit::{Db, Settings};
use utoipa::OpenApi;

pub use ops::Policy;

pub const SERVICE: &str = "loyalty";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// What handlers need besides the database.
pub struct LoyaltyState {
    pub policy: Policy,
    /// Where every write's customer is resolved.
    pub registry: cid_kit::Registry,
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
    let policy: Policy = settings.section(SERVICE)?;
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let state = web::Data::new(LoyaltyState {
        policy,
        registry: cid_kit::Registry::from_settings(settings, SERVICE)?,
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi(), configure)?;
    Ok(spec.with_jobs(vec![jobs::expiry_job(policy)]))
}

/// Starts the service on `listener` in the current runtime.
pub fn start(spec: AppSpec, listener: TcpListener) -> std::io::Result<Running> {
    cid_kit::server::start(spec, listener)
}
