//! # Analytics service
//!
//! Owns `purchases` and `events` (what was recorded) and the figures kept on write from them:
//! `customer_figures`, `monthly_spend` and `category_spend` (SPEC §3.4), so a customer's
//! figures are a few rows by key however long their history. The source of truth for
//! purchases: segmentation reads its figures here. Calls the customer registry to resolve the
//! customer of every write (and aliases on reads), and referral for the referral counts of
//! engagement. Emits `analytics.purchase_recorded` and `analytics.purchase_refunded`.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod store;

use std::sync::Arc;

use actix_web::web;
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::AppSpec;
use cid_kit::{Db, Settings};
use utoipa::OpenApi;

pub const SERVICE: &str = "analytics";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// What handlers need besides the database.
pub struct AnalyticsState {
    /// Where every write's customer is resolved.
    pub registry: web::Data<cid_kit::Registry>,
    /// Calls to other services (referral counts for engagement).
    pub client: cid_kit::client::ServiceClient,
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
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let state = web::Data::new(AnalyticsState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        client: cid_kit::client::ServiceClient::new(settings, SERVICE)?
            .with_timeout(std::time::Duration::from_secs(2)),
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec.with_jobs(vec![cid_kit::outbox::events_job(settings, SERVICE)?]))
}
