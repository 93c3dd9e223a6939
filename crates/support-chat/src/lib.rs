//! # Support chat and FAQ service
//!
//! Owns `faq_entries` (SPEC §3.11: the bilingual FAQ, shipped entries written at start-up
//! once, admin edits audited) and serves the support categories with their topics. Search
//! folds Arabic spellings and ranks in memory (the FAQ is tens of entries, not a customer's
//! history). Owns `chat_sessions` (waiting → active → closed), `chat_messages` (in order,
//! notices among them) and `agent_presence` (for the wait estimate); calls the customer
//! registry to resolve the customer of every new session. Each session has a live
//! WebSocket channel (`handlers::live`) fed through `fanout`: in-process by default, or
//! shared between instances through NATS (`[support-chat] fanout = "nats"`). Emits no
//! domain events yet.

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

/// `[support-chat]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// Where a session's live events go: `local` (this process) or `nats` (every instance
    /// connected to the NATS server at `nats_url`).
    #[serde(default)]
    pub fanout: FanoutKind,
    #[serde(default = "d_nats_url")]
    pub nats_url: String,
    /// Events of session S go to `<nats_subject>.S`.
    #[serde(default = "d_nats_subject")]
    pub nats_subject: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FanoutKind {
    #[default]
    Local,
    Nats,
}

fn d_nats_url() -> String {
    "nats://127.0.0.1:4222".into()
}

fn d_nats_subject() -> String {
    "cid.support-chat".into()
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            fanout: FanoutKind::Local,
            nats_url: d_nats_url(),
            nats_subject: d_nats_subject(),
        }
    }
}

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
    let config: ChatSettings = settings.section(SERVICE)?;
    if config.nats_subject.is_empty()
        || config
            .nats_subject
            .split('.')
            .any(|t| t.is_empty() || t.contains(['*', '>', ' ']))
    {
        return Err(
            "[support-chat] nats_subject must be dot-separated tokens without wildcards".into(),
        );
    }
    if config.fanout == FanoutKind::Nats
        && config
            .nats_url
            .split(',')
            .any(|u| u.trim().parse::<async_nats::ServerAddr>().is_err())
    {
        return Err(format!(
            "[support-chat] nats_url `{}` is not a NATS address",
            config.nats_url
        )
        .into());
    }
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
    let (fanout, task): (Arc<dyn fanout::Fanout>, _) = match config.fanout {
        FanoutKind::Local => (Arc::new(fanout::Local::default()), None),
        FanoutKind::Nats => {
            let (nats, task) = fanout::Nats::new(&config.nats_url, &config.nats_subject);
            (nats, Some(task))
        }
    };
    let state = web::Data::new(ChatState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        fanout,
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(match task {
        Some(task) => spec.with_task(task),
        None => spec,
    })
}
