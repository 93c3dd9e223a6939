//! # Notifications service
//!
//! Owns `preferences` (each customer's channels, categories, frequency, quiet hours and
//! language; a customer without a row has the defaults), `notifications` (every message sent,
//! rendered in the customer's language; the in-app feed is the ones with `in_app`) and
//! `deliveries` (one per message and channel, with its status). Calls the customer registry
//! to resolve the customer (and their address) of every send and change. Delivers through
//! SMTP, signed HTTP to SMS and push providers, or the log (`transport`), from a job
//! (`jobs`). Takes every service's domain events (`events`, once per ID), notifies customers
//! of some and forwards all to webhook subscribers (`webhooks`, `webhook_deliveries`,
//! `webhook_attempts`; one queue per subscriber). Emits no events of its own.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod jobs;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod store;
pub mod transport;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::AppSpec;
use cid_kit::{Db, Settings};
use utoipa::OpenApi;

use domain::delivery::DigestClock;
use domain::{Language, Preferences};
use handlers::stream::StreamTiming;
use jobs::Deliverer;
use jobs::webhooks::HookDeliverer;
use transport::{EmailSettings, ProviderSettings, Transport, Transports};

pub const SERVICE: &str = "notifications";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[notifications]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsSettings {
    /// How often due deliveries are looked for, in milliseconds.
    #[serde(default = "d_interval")]
    pub delivery_interval_ms: u64,
    /// After this many failed attempts (backoff 1 s, 2 s, 4 s, … up to 10 min) a delivery is
    /// `failed`.
    #[serde(default = "d_attempts")]
    pub max_attempts: i32,
    /// Daily and weekly digests go out at this hour on the customer's clock.
    #[serde(default = "d_hour")]
    pub digest_hour: u32,
    /// The clock of customers who set no quiet hours (an IANA zone).
    #[serde(default = "d_zone")]
    pub default_time_zone: String,
    /// How often a live stream looks for entries written by another instance, in ms.
    #[serde(default = "d_poll")]
    pub stream_poll_ms: u64,
    /// A live stream without news says it is alive this often, in seconds.
    #[serde(default = "d_heartbeat")]
    pub stream_heartbeat_secs: u64,
    /// How often subscribers with due webhook deliveries are looked for, in ms.
    #[serde(default = "d_hook_interval")]
    pub webhook_interval_ms: u64,
    /// A subscriber must answer within this many ms (else the attempt failed).
    #[serde(default = "d_hook_timeout")]
    pub webhook_timeout_ms: u64,
    /// Webhook deliveries are `failed` after this many attempts (re-sendable by hand).
    #[serde(default = "d_attempts")]
    pub webhook_max_attempts: i32,
    /// Whether subscriber URLs may be loopback or private addresses (local and test runs).
    #[serde(default)]
    pub allow_private_webhooks: bool,
    #[serde(default)]
    pub email: EmailSettings,
    #[serde(default)]
    pub sms: ProviderSettings,
    #[serde(default)]
    pub push: ProviderSettings,
}

fn d_interval() -> u64 {
    1000
}
fn d_attempts() -> i32 {
    10
}
fn d_hour() -> u32 {
    9
}
fn d_zone() -> String {
    "Asia/Riyadh".into()
}
fn d_poll() -> u64 {
    2000
}
fn d_heartbeat() -> u64 {
    15
}
fn d_hook_interval() -> u64 {
    500
}
fn d_hook_timeout() -> u64 {
    5000
}

impl Default for NotificationsSettings {
    fn default() -> Self {
        Self {
            delivery_interval_ms: d_interval(),
            max_attempts: d_attempts(),
            digest_hour: d_hour(),
            default_time_zone: d_zone(),
            stream_poll_ms: d_poll(),
            stream_heartbeat_secs: d_heartbeat(),
            webhook_interval_ms: d_hook_interval(),
            webhook_timeout_ms: d_hook_timeout(),
            webhook_max_attempts: d_attempts(),
            allow_private_webhooks: false,
            email: EmailSettings::default(),
            sms: ProviderSettings::default(),
            push: ProviderSettings::default(),
        }
    }
}

impl NotificationsSettings {
    /// The digest clock; a bad zone or hour stops start-up.
    pub fn digest_clock(&self) -> Result<DigestClock, String> {
        let zone = domain::Zone::parse(&self.default_time_zone).ok_or_else(|| {
            format!(
                "[notifications] default_time_zone is not an IANA zone: {}",
                self.default_time_zone
            )
        })?;
        if self.digest_hour > 23 {
            return Err("[notifications] digest_hour must be 0..23".into());
        }
        Ok(DigestClock {
            zone,
            hour: self.digest_hour,
        })
    }

    pub fn transports(&self) -> Result<Transports, String> {
        Ok(Transports {
            email: Transport::email(&self.email)?,
            sms: Transport::provider("sms", &self.sms)?,
            push: Transport::provider("push", &self.push)?,
        })
    }
}

/// What handlers need besides the database.
pub struct NotificationsState {
    /// Where customers are resolved.
    pub registry: web::Data<cid_kit::Registry>,
    /// What a customer never seen has (in the system's default language).
    pub defaults: Preferences,
    pub clock: DigestClock,
    pub deliverer: Deliverer,
    pub hooks: HookDeliverer,
    pub allow_private_webhooks: bool,
    /// Announces a customer whose feed grew, to the live streams of this instance.
    pub live: tokio::sync::broadcast::Sender<String>,
    pub stream: StreamTiming,
}

impl NotificationsState {
    /// Tells this instance's live streams that `customer`'s feed grew.
    pub fn announce(&self, customer: &str) {
        // No stream listening is not an error.
        let _ = self.live.send(customer.to_owned());
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
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let config: NotificationsSettings = settings.section(SERVICE)?;
    let clock = config.digest_clock()?;
    for (channel, transport) in [
        ("email", &config.email.transport),
        ("sms", &config.sms.transport),
        ("push", &config.push.transport),
    ] {
        if settings.env == "production" && transport == "log" {
            tracing::warn!(
                channel,
                "the {channel} transport is `log`: {channel} messages are logged, not sent"
            );
        }
    }
    let language = Language::parse(&settings.locale.default).unwrap_or(Language::En);
    let deliverer = Deliverer {
        db: db.clone(),
        transports: Arc::new(config.transports()?),
        max_attempts: config.max_attempts.max(1),
        kick: jobs::Kick::default(),
    };
    let job = deliverer
        .clone()
        .job(Duration::from_millis(config.delivery_interval_ms.max(50)));
    let hooks = HookDeliverer::new(
        db.clone(),
        Duration::from_millis(config.webhook_timeout_ms.max(1)),
        config.webhook_max_attempts,
    );
    let hooks_job = hooks
        .clone()
        .job(Duration::from_millis(config.webhook_interval_ms.max(50)));
    let state = web::Data::new(NotificationsState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        defaults: Preferences::defaults(language),
        clock,
        deliverer,
        hooks,
        allow_private_webhooks: config.allow_private_webhooks,
        live: tokio::sync::broadcast::channel(1024).0,
        stream: StreamTiming {
            poll: Duration::from_millis(config.stream_poll_ms.max(50)),
            heartbeat: Duration::from_secs(config.stream_heartbeat_secs.max(1)),
        },
    });
    let (taker, taker_db) = (state.clone(), db.clone());
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    Ok(AppSpec::new(SERVICE, settings, db, openapi, configure)?
        .with_jobs(vec![job, hooks_job])
        .with_event_consumer(
            settings,
            Arc::new(move |event, ctx| {
                let (state, db) = (taker.clone(), taker_db.clone());
                Box::pin(async move {
                    handlers::hooks::take(&state, &db, event, &ctx)
                        .await
                        .map(drop)
                })
            }),
        ))
}
