//! # Support chat and FAQ service
//!
//! Owns `faq_entries` (SPEC §3.11: the bilingual FAQ, shipped entries written at start-up
//! once, admin edits audited) and serves the support categories with their topics. Search
//! folds Arabic spellings and ranks in memory (the FAQ is tens of entries, not a customer's
//! history). Owns `chat_sessions` (waiting → active → closed), `chat_messages` (in order,
//! notices among them) and `agent_presence` (for the wait estimate); calls the customer
//! registry to resolve the customer of every new session. Each session has a live
//! WebSocket channel (`handlers::live`) fed through `fanout` (in-process; sharing events
//! between instances comes next, issue 11). Emits no events yet.

pub mod domain;
pub mod error;
pub mod fanout;
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

pub const SERVICE: &str = "support-chat";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// What handlers need besides the database.
pub struct ChatState {
    /// Where customers are resolved.
    pub registry: web::Data<cid_kit::Registry>,
    /// Where a session's live events go (in-process by default).
    pub fanout: Arc<dyn fanout::Fanout>,
}

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
    let state = web::Data::new(ChatState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        fanout: Arc::new(fanout::Local::default()),
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    AppSpec::new(SERVICE, settings, db, openapi(), configure)
}
