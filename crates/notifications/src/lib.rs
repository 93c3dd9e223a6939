//! # Notifications service
//!
//! Owns `preferences` (each customer's channels, categories, frequency, quiet hours and
//! language; a customer without a row has the defaults). Calls the customer registry to
//! resolve the customer of every change. Sending, the in-app feed, domain events and webhooks
//! come next (issue 10); emits no events yet.

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

use domain::{Language, Preferences};

pub const SERVICE: &str = "notifications";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// What handlers need besides the database.
pub struct NotificationsState {
    /// Where customers are resolved.
    pub registry: web::Data<cid_kit::Registry>,
    /// What a customer never seen has (in the system's default language).
    pub defaults: Preferences,
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
    let language = Language::parse(&settings.locale.default).unwrap_or(Language::En);
    let state = web::Data::new(NotificationsState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        defaults: Preferences::defaults(language),
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    AppSpec::new(SERVICE, settings, db, openapi(), configure)
}
