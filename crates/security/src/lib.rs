//! # Security service
//!
//! Owns `security_profiles` (SPEC §3.10: two-factor authentication — the TOTP secret sealed
//! with AES-256-GCM under a key ID, the last accepted step, the lock after wrong codes),
//! `recovery_codes` (Argon2id hashes, each used once) and `code_failures` (wrong codes, for
//! the lock's window); `security_events` (what services report), `known_devices`,
//! `security_alerts` (raised by the fraud rules, one open per cause) and `security_reports`.
//! Calls the customer registry to resolve the customer of every write. Emits
//! `security.two_factor_enabled`, `…_disabled`, `…_locked`, `…recovery_codes_regenerated`,
//! `security.alert_raised`, `…alert_resolved` and `…activity_reported`.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::web;
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::AppSpec;
use cid_kit::{Db, Settings};
use utoipa::OpenApi;

use domain::Lockout;
use domain::rules::Rules;
use domain::sealing::Keyring;

pub const SERVICE: &str = "security";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// The development key for TOTP secrets (base64 of 32 bytes); production refuses it.
pub const DEV_KEY: &str = "Y2lkLWRldmVsb3BtZW50LWtleS1ub3Qtc2VjcmV0ISE=";

/// `[security]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// The issuer authenticator apps show beside the account.
    #[serde(default = "d_issuer")]
    pub totp_issuer: String,
    /// The key new secrets are sealed with.
    #[serde(default = "d_active")]
    pub active_key: String,
    /// Every key that may have sealed a stored secret: ID → base64 of 32 bytes.
    #[serde(default = "d_keys")]
    pub keys: BTreeMap<String, String>,
    #[serde(default)]
    pub lockout: Lockout,
    #[serde(default)]
    pub rules: Rules,
}

fn d_issuer() -> String {
    "Customer ID".into()
}

fn d_active() -> String {
    "dev".into()
}

fn d_keys() -> BTreeMap<String, String> {
    BTreeMap::from([("dev".to_owned(), DEV_KEY.to_owned())])
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            totp_issuer: d_issuer(),
            active_key: d_active(),
            keys: d_keys(),
            lockout: Lockout::default(),
            rules: Rules::default(),
        }
    }
}

/// What handlers need besides the database.
pub struct SecurityState {
    /// Where customers are resolved.
    pub registry: web::Data<cid_kit::Registry>,
    pub keyring: Keyring,
    pub config: SecuritySettings,
}

/// The service's OpenAPI document, as served and checked in.
pub fn openapi() -> serde_json::Value {
    cid_kit::openapi::finish(SERVICE, routes::ApiDoc::openapi())
}

/// Checks the settings (production refuses the development key), connects the database
/// (migrating it) and assembles the service.
pub fn app_spec(
    settings: &Settings,
    database_url: &str,
) -> Result<AppSpec, Box<dyn std::error::Error>> {
    let mut config: SecuritySettings = settings.section(SERVICE)?;
    if settings.env == "production" {
        // The development key is public: nothing sealed with it is secret, so production
        // neither seals with it nor opens with it.
        config.keys.retain(|_, k| k.trim() != DEV_KEY);
        if !config.keys.contains_key(&config.active_key) {
            return Err(
                "production refuses the development key for TOTP secrets: set \
                 CID__SECURITY__KEYS__<ID> and CID__SECURITY__ACTIVE_KEY=<ID>"
                    .into(),
            );
        }
    }
    let l = config.lockout;
    if l.max_failures < 1 || l.window_minutes < 1 || l.lock_minutes < 1 {
        return Err("[security.lockout] values must be at least 1".into());
    }
    let r = config.rules;
    if [
        r.failed_logins,
        r.failed_login_minutes,
        r.country_change_hours,
        r.max_redemptions,
        r.redemption_minutes,
    ]
    .iter()
    .any(|v| *v < 1)
    {
        return Err("[security.rules] values must be at least 1".into());
    }
    if config.totp_issuer.trim().is_empty() || config.totp_issuer.contains(':') {
        return Err("[security] totp_issuer must be non-empty, without ':'".into());
    }
    let keyring = Keyring::new(&config.active_key, &config.keys)
        .map_err(|e| format!("[security] keys: {e}"))?;
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let state = web::Data::new(SecurityState {
        registry: web::Data::new(cid_kit::Registry::from_settings(settings, SERVICE)?),
        keyring,
        config,
    });
    let (taker, taker_db) = (state.clone(), db.clone());
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        cfg.app_data(state.registry.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec
        .with_jobs(vec![
            cid_kit::outbox::events_job(settings, SERVICE)?,
            purge_failures_job(l),
        ])
        .with_event_consumer(
            settings,
            Arc::new(move |event, _| {
                let (state, db) = (taker.clone(), taker_db.clone());
                Box::pin(async move { handlers::watch::take(&state, &db, event).await.map(drop) })
            }),
        ))
}

/// Forgets wrong codes once they can no longer count toward a lock.
fn purge_failures_job(lockout: Lockout) -> cid_kit::server::Job {
    cid_kit::server::Job {
        name: "purge old wrong 2FA codes",
        every: std::time::Duration::from_secs(3600),
        run: Arc::new(move |db: Db| {
            Box::pin(async move {
                let before = chrono::Utc::now().naive_utc()
                    - chrono::Duration::minutes(lockout.window_minutes + lockout.lock_minutes);
                db.transact(move |c| store::purge_failures(c, before)).await
            })
        }),
    }
}
