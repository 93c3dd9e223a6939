//! Layered settings: `config/base.toml`, then `config/$CID_ENV.toml` (default `local`), then
//! environment variables `CID__SECTION__KEY`.
//!
//! The config directory comes from `CID_CONFIG_DIR`, else the nearest `config/base.toml` above
//! the running binary, else the workspace's own `config/` — never the current directory alone.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use cid_common::Locale;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The services of SPEC §3 by their gateway group (the path segment after `/api/customer-id/`).
pub const GROUPS: &[&str] = &[
    "customers",
    "loyalty",
    "referral",
    "analytics",
    "segmentation",
    "offers",
    "notifications",
    "support",
    "rewards",
    "security",
    "support-chat",
];

/// A value that never prints.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The secret shipped in `config/base.toml`; production refuses to start with it.
pub const DEV_JWT_SECRET: &str = "cid-development-secret-do-not-use-in-production";
/// The shortest HS256 secret production accepts, in bytes.
pub const MIN_HS256_SECRET: usize = 32;

/// Unknown top-level keys are rejected by `validate` (serde cannot deny them beside
/// `flatten`); every section struct denies unknown keys itself.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `local`, `test` or `production`.
    pub env: String,
    /// Where SQLite files live when the database URL template uses `{data_dir}`.
    pub data_dir: String,
    pub locale: LocaleSettings,
    pub auth: AuthSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub registry: RegistrySettings,
    #[serde(default)]
    pub events: EventsSettings,
    /// Per group: where its service listens and where others reach it.
    pub services: BTreeMap<String, ServiceEndpoint>,
    /// Sections owned by one crate (`gateway`, `loyalty`, …), read with [`Settings::section`].
    #[serde(flatten)]
    pub sections: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocaleSettings {
    /// `en` or `ar`: the language when `Accept-Language` names neither.
    pub default: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `HS256`, `RS256` or `EdDSA`.
    pub algorithm: String,
    /// HS256 shared secret.
    pub jwt_secret: Secret,
    /// PEM public key for RS256/EdDSA verification.
    #[serde(default)]
    pub public_key_pem: Option<String>,
    /// PEM private key, only where tokens are minted with RS256/EdDSA (the CLI).
    #[serde(default)]
    pub private_key_pem: Option<Secret>,
    pub issuer: String,
    pub audience: String,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway_secs: u64,
    /// Longest lifetime (`exp - iat`) a token may have, in seconds; unset means no limit.
    #[serde(default)]
    pub max_token_lifetime_secs: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// URL template; `{service}` and `{data_dir}` are filled per service.
    pub url: String,
    pub pool_size: u32,
    pub acquire_timeout_ms: u64,
    /// Longest a read may take. Past it a PostgreSQL read's connection is cut (the request
    /// gets 503): reads run on the request's worker, which must not wait on a database that
    /// stopped answering.
    #[serde(default = "default_read_timeout")]
    pub read_timeout_ms: u64,
    /// Longest a request's write transaction may take on PostgreSQL once it has its
    /// connection; past it the connection is cut (503, the outcome unknown to the caller, who
    /// retries with the same `Idempotency-Key`). Jobs' writes have no deadline.
    #[serde(default = "default_write_timeout")]
    pub write_timeout_ms: u64,
    /// On PostgreSQL, a service's hottest reads run on one async connection per worker,
    /// pipelined with the worker's other reads (`Db::read_pipelined`); off, they take the pool.
    #[serde(default = "default_pipelined_reads")]
    pub pipelined_reads: bool,
}

fn default_pipelined_reads() -> bool {
    true
}

fn default_read_timeout() -> u64 {
    3000
}

fn default_write_timeout() -> u64 {
    10_000
}

/// `[server]`: how every binary (a service, the gateway, `cid up`) starts and stops.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// After SIGTERM or SIGINT: how long in-flight requests and outbox sends may take to
    /// finish before the process exits anyway, in seconds.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
    /// A service's HTTP workers (single-threaded event loops); unset, `server::worker_count`'s
    /// default (two per core within the pool).
    #[serde(default)]
    pub workers: Option<usize>,
}

fn default_grace() -> u64 {
    10
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            shutdown_grace_secs: default_grace(),
            workers: None,
        }
    }
}

impl ServerSettings {
    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// `[registry]`: how services resolve customers through the customer registry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySettings {
    /// How long a resolved customer is reused, in seconds (a deactivation takes effect for
    /// writes within this long); 0 asks the registry every time.
    #[serde(default = "default_registry_cache")]
    pub cache_secs: u64,
    /// Timeout of one registry call, in milliseconds.
    #[serde(default = "default_registry_timeout")]
    pub timeout_ms: u64,
}

fn default_registry_cache() -> u64 {
    30
}

fn default_registry_timeout() -> u64 {
    2000
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            cache_secs: default_registry_cache(),
            timeout_ms: default_registry_timeout(),
        }
    }
}

/// How domain events travel from the emitting service's outbox to the services that react.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EventBus {
    /// POSTed to each consumer (notifications, and the subscribers of the type).
    #[default]
    Http,
    /// Published once to a NATS JetStream stream; each consumer group reads it through a
    /// durable consumer shared by its replicas.
    Jetstream,
}

/// `[events]`: the event bus.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsSettings {
    pub bus: EventBus,
    pub nats_url: String,
    /// The stream holding every event, on subjects `<subject_prefix>.<type>`.
    pub stream: String,
    pub subject_prefix: String,
    /// How long the stream keeps an event, in hours (a consumer group that was down longer
    /// misses what expired).
    pub max_age_hours: u64,
    /// How long a consumer has to acknowledge an event before it is handed out again, in
    /// seconds.
    pub ack_wait_secs: u64,
}

impl Default for EventsSettings {
    fn default() -> Self {
        Self {
            bus: EventBus::Http,
            nats_url: "nats://127.0.0.1:4222".into(),
            stream: "CID_EVENTS".into(),
            subject_prefix: "cid.events".into(),
            max_age_hours: 24 * 7,
            ack_wait_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// An `EnvFilter` directive, overridden by `RUST_LOG`.
    pub level: String,
    /// `json` or `pretty`.
    pub format: String,
    /// One log line per request.
    pub access_log: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEndpoint {
    pub host: String,
    pub port: u16,
    /// How other processes reach it; defaults to `http://host:port`.
    #[serde(default)]
    pub url: Option<String>,
    /// When set, `/metrics` is served on this port of `metrics_host` (an internal address
    /// a scraper reaches, not the public one) and no longer on `port`.
    #[serde(default)]
    pub metrics_port: Option<u16>,
    #[serde(default)]
    pub metrics_host: Option<String>,
}

/// Binds an internal metrics port: `port` on `metrics_host`, else on the public `host`.
pub fn metrics_listener(
    host: &str,
    metrics_host: Option<&str>,
    port: Option<u16>,
) -> std::io::Result<Option<std::net::TcpListener>> {
    port.map(|port| std::net::TcpListener::bind((metrics_host.unwrap_or(host), port)))
        .transpose()
}

impl ServiceEndpoint {
    /// The listener for the internal metrics port, when one is set.
    pub fn metrics_listener(&self) -> std::io::Result<Option<std::net::TcpListener>> {
        metrics_listener(&self.host, self.metrics_host.as_deref(), self.metrics_port)
    }

    pub fn base_url(&self) -> String {
        self.url
            .clone()
            .unwrap_or_else(|| format!("http://{}:{}", self.host, self.port))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// The `CID__…` variables, with a group whose name has a hyphen written as the environment
/// must write it (`CID__SERVICES__SUPPORT_CHAT__URL`) read as that group
/// (`services.support-chat.url`).
fn environment(vars: impl Iterator<Item = (String, String)>) -> config::Map<String, String> {
    vars.filter(|(k, _)| k.starts_with("CID__"))
        .map(|(k, v)| {
            let key = k
                .split("__")
                .map(|part| {
                    let hyphened = part.to_ascii_lowercase().replace('_', "-");
                    if hyphened.contains('-') && GROUPS.contains(&hyphened.as_str()) {
                        hyphened.to_ascii_uppercase()
                    } else {
                        part.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("__");
            (key, v)
        })
        .collect()
}

impl Settings {
    /// Loads settings for the environment named by `CID_ENV` (default `local`).
    pub fn load() -> Result<Self, SettingsError> {
        let env = std::env::var("CID_ENV").unwrap_or_else(|_| "local".into());
        Self::load_from(&config_dir(), &env)
    }

    pub fn load_from(dir: &Path, env: &str) -> Result<Self, SettingsError> {
        Self::load_with(dir, env, std::env::vars())
    }

    /// As [`Settings::load_from`], with `vars` instead of the process environment.
    pub fn load_with(
        dir: &Path,
        env: &str,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let cfg = config::Config::builder()
            .add_source(config::File::from(dir.join("base.toml")))
            .add_source(config::File::from(dir.join(format!("{env}.toml"))).required(false))
            .set_override("env", env)?
            .add_source(
                config::Environment::with_prefix("CID")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    // Lists from the environment are comma-separated.
                    .list_separator(",")
                    .with_list_parse_key("gateway.required")
                    .with_list_parse_key("gateway.cors.origins")
                    .with_list_parse_key("gateway.cors.methods")
                    .with_list_parse_key("gateway.cors.allow_headers")
                    .with_list_parse_key("gateway.cors.expose_headers")
                    .source(Some(environment(vars))),
            )
            .build()?;
        let settings: Settings = cfg.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        for key in self.sections.keys() {
            if key != "gateway" && !GROUPS.contains(&key.as_str()) {
                return Err(SettingsError::Invalid(format!(
                    "unknown section or key `{key}`"
                )));
            }
        }
        for key in self.services.keys() {
            if !GROUPS.contains(&key.as_str()) {
                return Err(SettingsError::Invalid(format!(
                    "unknown service `services.{key}`"
                )));
            }
        }
        if Locale::parse_tag(&self.locale.default).is_none() {
            return Err(SettingsError::Invalid(
                "locale.default must be `en` or `ar`".into(),
            ));
        }
        if self.env == "production" && self.auth.jwt_secret.expose() == DEV_JWT_SECRET {
            return Err(SettingsError::Invalid(
                "production refuses the development JWT secret: set CID__AUTH__JWT_SECRET".into(),
            ));
        }
        // An HMAC key shorter than the hash is guessable offline from one token (RFC 7518
        // §3.2 asks for at least 256 bits for HS256).
        if self.env == "production"
            && self.auth.algorithm.eq_ignore_ascii_case("HS256")
            && self.auth.jwt_secret.expose().len() < MIN_HS256_SECRET
        {
            return Err(SettingsError::Invalid(format!(
                "production refuses an HS256 secret shorter than {MIN_HS256_SECRET} bytes: \
                 set CID__AUTH__JWT_SECRET (e.g. `openssl rand -base64 48`)"
            )));
        }
        Ok(())
    }

    pub fn default_locale(&self) -> Locale {
        Locale::parse_tag(&self.locale.default).unwrap_or_default()
    }

    /// The database URL of one service, from the template.
    pub fn database_url(&self, service: &str) -> String {
        let service_db = service.replace('-', "_");
        self.database
            .url
            .replace("{data_dir}", &self.data_dir)
            .replace("{service}", &service_db)
    }

    pub fn endpoint(&self, group: &str) -> Result<&ServiceEndpoint, SettingsError> {
        self.services
            .get(group)
            .ok_or_else(|| SettingsError::Invalid(format!("no `services.{group}` entry")))
    }

    /// Reads a crate's own section (absent → its defaults), rejecting unknown keys.
    pub fn section<T: DeserializeOwned + Default>(&self, name: &str) -> Result<T, SettingsError> {
        match self.sections.get(name) {
            None => Ok(T::default()),
            Some(value) => serde_json::from_value(value.clone())
                .map_err(|e| SettingsError::Invalid(format!("[{name}] {e}"))),
        }
    }
}

/// Finds the config directory (see the module docs).
pub fn config_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CID_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            if dir.join("config/base.toml").is_file() {
                return dir.join("config");
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &str) -> Result<Settings, SettingsError> {
        Settings::load_from(&config_dir(), env)
    }

    #[test]
    fn shipped_local_settings_load_and_name_every_group() {
        let s = load("local").unwrap();
        for group in GROUPS {
            assert!(s.services.contains_key(*group), "{group}");
        }
        assert_eq!(
            s.database_url("support-chat"),
            "sqlite://./data/support_chat.db"
        );
    }

    #[test]
    fn a_hyphenated_group_is_reached_from_the_environment() {
        let vars = [
            (
                "CID__SERVICES__SUPPORT_CHAT__URL",
                "http://support-chat:8091",
            ),
            ("CID__SERVICES__LOYALTY__PORT", "9999"),
            ("CID__SUPPORT_CHAT__NATS_URL", "nats://nats:4222"),
            ("OTHER", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let s = Settings::load_with(&config_dir(), "local", vars).unwrap();
        assert_eq!(
            s.services["support-chat"].url.as_deref(),
            Some("http://support-chat:8091")
        );
        assert_eq!(s.services["loyalty"].port, 9999);
        assert_eq!(s.sections["support-chat"]["nats_url"], "nats://nats:4222");
    }

    fn dir_with(extra: &str, env_file: Option<(&str, &str)>) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cid-settings-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = std::fs::read_to_string(config_dir().join("base.toml")).unwrap();
        std::fs::write(dir.join("base.toml"), format!("{base}\n{extra}\n")).unwrap();
        if let Some((name, text)) = env_file {
            std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
        }
        dir
    }

    #[test]
    fn server_workers_come_from_the_file_or_the_environment() {
        assert_eq!(load("local").unwrap().server.workers, None);
        let dir = dir_with("", Some(("local", "[server]\nworkers = 3")));
        let s = Settings::load_from(&dir, "local").unwrap();
        assert_eq!(s.server.workers, Some(3));
        let vars = [("CID__SERVER__WORKERS".to_owned(), "5".to_owned())];
        let s = Settings::load_with(&config_dir(), "local", vars.into_iter()).unwrap();
        assert_eq!(s.server.workers, Some(5));
    }

    #[test]
    fn unknown_sections_and_keys_are_refused() {
        let dir = dir_with("[bogus]\nx = 1", None);
        assert!(Settings::load_from(&dir, "local").is_err());
        let dir = dir_with("", Some(("local", "[log]\nlevl = \"debug\"")));
        assert!(
            Settings::load_from(&dir, "local").is_err(),
            "a typo in a known section"
        );
    }

    #[test]
    fn production_refuses_the_development_secret() {
        let dir = dir_with("", None);
        let err = Settings::load_from(&dir, "production").unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET"), "{err}");
        let dir = dir_with(
            "",
            Some((
                "production",
                "[auth]\njwt_secret = \"a-real-secret-from-the-vault-of-48-characters!!\"",
            )),
        );
        assert!(Settings::load_from(&dir, "production").is_ok());
    }

    #[test]
    fn production_refuses_a_short_hs256_secret() {
        let dir = dir_with(
            "",
            Some((
                "production",
                "[auth]\njwt_secret = \"only-31-bytes-long-secret-value\"",
            )),
        );
        let err = Settings::load_from(&dir, "production").unwrap_err();
        assert!(err.to_string().contains("shorter than 32 bytes"), "{err}");
        // Local runs take any secret.
        let dir = dir_with("", Some(("local", "[auth]\njwt_secret = \"short\"")));
        assert!(Settings::load_from(&dir, "local").is_ok());
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }
}
