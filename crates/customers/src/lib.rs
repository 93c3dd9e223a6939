//! # Customers service — the customer ID registry
//!
//! Owns `customers`: one row per marketplace user, with the customer ID in its standard
//! (`CID-2026-000001`), short (`CID000001`) and numeric (`1`) forms, all derived from one
//! database sequence so they never collide (SPEC §3.1). Calls no other service; rewards reads
//! `birthDate` and `joinDate` from here. Emits `customers.created` and `customers.deactivated`.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod store;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use cid_kit::db::Migrations;
use cid_kit::server::{AppSpec, Running};
use cid_kit::settings::SettingsError;
use cid_kit::{Db, Settings};
use serde::Deserialize;
use utoipa::OpenApi;

pub const SERVICE: &str = "customers";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[customers]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomersSettings {
    /// The ID prefix: 1–8 uppercase letters.
    pub prefix: String,
}

/// What handlers need besides the database.
pub struct CustomersState {
    /// The prefix of every ID issued.
    pub prefix: String,
}

impl Default for CustomersSettings {
    fn default() -> Self {
        Self {
            prefix: "CID".into(),
        }
    }
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
    let config: CustomersSettings = settings.section(SERVICE)?;
    if !domain::ids::valid_prefix(&config.prefix) {
        return Err(SettingsError::Invalid(
            "customers.prefix must be 1-8 uppercase letters".into(),
        )
        .into());
    }
    let db = Db::connect(
        database_url,
        &cid_kit::db::DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let state = web::Data::new(CustomersState {
        prefix: config.prefix,
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec.with_jobs(vec![cid_kit::outbox::events_job(settings, SERVICE)?]))
}

/// Starts the service on `listener` in the current runtime.
pub fn start(spec: AppSpec, listener: TcpListener) -> std::io::Result<Running> {
    cid_kit::server::start(spec, listener)
}
