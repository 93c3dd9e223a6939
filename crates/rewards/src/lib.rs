//! # Special-date rewards service
//!
//! Owns `reward_instances`: one row per customer, reward type and occurrence (the birthday
//! of a year, the anniversary of joining of a year, a holiday of the calendar, a milestone),
//! so issuing is idempotent. Instances are issued when a customer's rewards are read, from
//! the registry's `birthDate`/`joinDate` and loyalty's milestones (both fetched with
//! `ServiceClient` and cached briefly) and the holiday calendar in configuration. A claim
//! marks the instance in a conditional update and queues the points for loyalty in the same
//! transaction (transactional outbox, key `reward-claim:<rewardId>`), so they land once even
//! when loyalty is down at the time. Emits `rewards.claimed`.

pub mod domain;
pub mod error;
pub mod handlers;
pub mod ops;
pub mod routes;
pub mod schema;
pub mod sources;
pub mod store;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use chrono::NaiveDate;
use cid_kit::client::ServiceClient;
use cid_kit::db::{DbOptions, Migrations};
use cid_kit::server::AppSpec;
use cid_kit::settings::SettingsError;
use cid_kit::{Db, Settings};
use serde::Deserialize;
use utoipa::OpenApi;

use domain::occurrences::Holiday;

pub const SERVICE: &str = "rewards";

pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

/// `[rewards]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardsSettings {
    /// "Today" is the calendar day at this offset from UTC, in minutes (-720..=840).
    #[serde(default = "default_offset")]
    pub utc_offset_minutes: i32,
    /// How long registry dates and loyalty milestones are reused, in seconds.
    #[serde(default = "default_cache_secs")]
    pub facts_cache_secs: u64,
    /// How often the outbox deliverer retries claim credits, in milliseconds.
    #[serde(default = "default_outbox_ms")]
    pub outbox_interval_ms: u64,
    /// The holiday calendar.
    #[serde(default)]
    pub holidays: Vec<HolidaySetting>,
}

/// One `[[rewards.holidays]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySetting {
    /// Unique and never reused: `[a-z0-9-]`, e.g. `eid-al-fitr-2027`.
    pub key: String,
    pub name_en: String,
    pub name_ar: String,
    /// First and last day (inclusive) of the reward window, `YYYY-MM-DD`.
    pub start: String,
    pub end: String,
}

fn default_offset() -> i32 {
    180
}

fn default_cache_secs() -> u64 {
    60
}

fn default_outbox_ms() -> u64 {
    2000
}

impl Default for RewardsSettings {
    fn default() -> Self {
        Self {
            utc_offset_minutes: default_offset(),
            facts_cache_secs: default_cache_secs(),
            outbox_interval_ms: default_outbox_ms(),
            holidays: Vec::new(),
        }
    }
}

impl RewardsSettings {
    /// The calendar, checked: a bad entry stops the service at start-up, naming it.
    pub fn calendar(&self) -> Result<Vec<Holiday>, SettingsError> {
        if !(-720..=840).contains(&self.utc_offset_minutes) {
            return Err(SettingsError::Invalid(
                "[rewards] utc_offset_minutes must be between -720 and 840".into(),
            ));
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for h in &self.holidays {
            let bad = |why: &str| {
                SettingsError::Invalid(format!("[[rewards.holidays]] `{}`: {why}", h.key))
            };
            let key_ok = !h.key.is_empty()
                && h.key.len() <= 64
                && h.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !key_ok {
                return Err(bad("key must be 1-64 characters of a-z, 0-9 and -"));
            }
            if !seen.insert(h.key.clone()) {
                return Err(bad("key is listed twice"));
            }
            if h.name_en.trim().is_empty() || h.name_ar.trim().is_empty() {
                return Err(bad("name_en and name_ar are required"));
            }
            let date = |s: &str| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| bad("start and end must be YYYY-MM-DD dates"))
            };
            let (start, end) = (date(&h.start)?, date(&h.end)?);
            if end < start {
                return Err(bad("end is before start"));
            }
            out.push(Holiday {
                key: h.key.clone(),
                name_en: h.name_en.clone(),
                name_ar: h.name_ar.clone(),
                start,
                end,
            });
        }
        out.sort_by_key(|h| h.start);
        Ok(out)
    }
}

/// What handlers need besides the database.
pub struct RewardsState {
    pub utc_offset_minutes: i32,
    pub calendar: Vec<Holiday>,
    pub sources: sources::Sources,
    pub client: ServiceClient,
}

impl RewardsState {
    pub fn today(&self) -> NaiveDate {
        domain::today(self.utc_offset_minutes)
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
    let config: RewardsSettings = settings.section(SERVICE)?;
    let calendar = config.calendar()?;
    let db = Db::connect(
        database_url,
        &DbOptions::from_settings(settings),
        &MIGRATIONS,
    )?;
    let client = ServiceClient::new(settings, SERVICE)?.with_timeout(Duration::from_secs(2));
    let outbox = cid_kit::outbox::job(
        client.clone(),
        Duration::from_millis(config.outbox_interval_ms.max(100)),
    );
    let state = web::Data::new(RewardsState {
        utc_offset_minutes: config.utc_offset_minutes,
        calendar,
        sources: sources::Sources::new(
            cid_kit::Registry::from_settings(settings, SERVICE)?,
            client.clone(),
            Duration::from_secs(config.facts_cache_secs),
            config.utc_offset_minutes,
        ),
        client,
    });
    let configure: cid_kit::server::Configure = Arc::new(move |cfg| {
        cfg.app_data(state.clone());
        routes::configure(cfg);
    });
    let spec = AppSpec::new(SERVICE, settings, db, openapi, configure)?;
    Ok(spec.with_jobs(vec![outbox]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(holidays: Vec<(&str, &str, &str)>) -> RewardsSettings {
        RewardsSettings {
            holidays: holidays
                .into_iter()
                .map(|(key, start, end)| HolidaySetting {
                    key: key.into(),
                    name_en: "Day".into(),
                    name_ar: "يوم".into(),
                    start: start.into(),
                    end: end.into(),
                })
                .collect(),
            ..RewardsSettings::default()
        }
    }

    #[test]
    fn the_calendar_is_sorted_and_bad_entries_stop_start_up_naming_the_entry() {
        let ok = with(vec![
            ("b-2027", "2027-03-10", "2027-03-16"),
            ("a-2026", "2026-09-23", "2026-09-23"),
        ]);
        let keys: Vec<_> = ok.calendar().unwrap().into_iter().map(|h| h.key).collect();
        assert_eq!(keys, vec!["a-2026", "b-2027"]);
        for (bad, why) in [
            (
                vec![("Eid 2027", "2027-03-10", "2027-03-16")],
                "key must be",
            ),
            (
                vec![
                    ("x", "2027-03-10", "2027-03-16"),
                    ("x", "2028-03-10", "2028-03-16"),
                ],
                "listed twice",
            ),
            (vec![("x", "10 March 2027", "2027-03-16")], "YYYY-MM-DD"),
            (vec![("x", "2027-02-30", "2027-03-16")], "YYYY-MM-DD"),
            (
                vec![("x", "2027-03-16", "2027-03-10")],
                "end is before start",
            ),
        ] {
            let err = with(bad).calendar().unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
        let offset = RewardsSettings {
            utc_offset_minutes: 900,
            ..RewardsSettings::default()
        };
        assert!(offset.calendar().is_err());
    }

    #[test]
    fn the_shipped_calendar_loads() {
        let settings = Settings::load_from(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config"),
            "local",
        )
        .unwrap();
        let config: RewardsSettings = settings.section(SERVICE).unwrap();
        assert!(config.calendar().unwrap().len() >= 8);
    }
}
