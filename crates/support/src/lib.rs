//! # Support tickets service
//!
//! Owns `tickets` (SPEC §3.8: subject, category, priority, SLA due time, status, assignee,
//! rating), `ticket_comments` (internal notes hidden from customers) and `ticket_changes`
//! (every status change). Calls the customer registry to resolve the customer of every new
//! ticket. Emits `support.ticket_created` and `support.ticket_status_changed`; staff status
//! changes and assignments are in the audit log.

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

use domain::SlaHours;

pub const SERVICE: &str = "support";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[support]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportSettings {
    /// Hours to answer by priority.
    #[serde(default)]
    pub sla_hours: SlaHours,
    /// A customer reopens a resolved ticket within this many days of its resolution.
    #[serde(default = "d_reopen")]
    pub reopen_days: i64,
}

fn d_reopen() -> i64 {
    14
}

impl Default for SupportSettings {
    fn default() -> Self {
        Self {
            sla_hours: SlaHours::default(),
            reopen_days: d_reopen(),
        }
    }
}

/// What handlers need besides the database.
pub struct SupportState {
    /// Where customers are resolved.
    pub registry: web::Data<cid_kit::Registry>,
    pub config: SupportSettings,
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
    let config: SupportSettings = settings.section(SERVICE)?;
    let sla = config.sla_hours;
    if [sla.urgent, sla.high, sla.medium, sla.low]
        .iter()
        .any(|h| *h <= 0)
        || config.reopen_days < 0
    {
        return Err("[support] sla_hours must be positive and reopen_days not negative".into());
    }
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let state = web::Data::new(SupportState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        config,
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec.with_jobs(vec![cid_kit::outbox::events_job(settings, SERVICE)?]))
}
