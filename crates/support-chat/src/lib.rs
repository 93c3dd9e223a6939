//! # Support chat and FAQ service
//!
//! Owns `faq_entries` (SPEC §3.11: the bilingual FAQ, shipped entries written at start-up
//! once, admin edits audited) and serves the support categories with their topics. Search
//! folds Arabic spellings and ranks in memory (the FAQ is tens of entries, not a customer's
//! history). Live chat sessions come next (issue 11). Calls no other service; emits no
//! events yet.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod store;

use std::sync::Arc;

use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::AppSpec;
use cid_kit::{Db, Settings};
use utoipa::OpenApi;

pub const SERVICE: &str = "support-chat";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// The service's OpenAPI document, as served and checked in.
pub fn openapi() -> serde_json::Value {
    cid_kit::openapi::finish(SERVICE, routes::ApiDoc::openapi())
}

/// Connects the database (migrating it), writes the shipped FAQ entries it lacks and
/// assembles the service.
pub fn app_spec(
    settings: &Settings,
    database_url: &str,
) -> Result<AppSpec, Box<dyn std::error::Error>> {
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let mut conn = db.pool().get()?;
    let written = ops::seed(&mut conn, chrono::Utc::now().naive_utc())?;
    drop(conn);
    if written > 0 {
        tracing::info!(written, "shipped FAQ entries written");
    }
    let configure: cid_kit::server::Configure = Arc::new(routes::configure);
    AppSpec::new(SERVICE, settings, db, openapi(), configure)
}
