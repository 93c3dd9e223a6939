//! `cid`: run the whole system in one process, mint development tokens, migrate databases
//! and write the OpenAPI documents.

/// mimalloc: the request path allocates many small, short-lived buffers.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::TcpListener;
use std::path::PathBuf;

use cid_common::Role;
use cid_kit::Settings;
use clap::{Parser, Subcommand, ValueEnum};

type BoxError = Box<dyn std::error::Error>;

/// A service this binary can run: its group name and how to build it.
struct ServiceEntry {
    name: &'static str,
    build: cid_kit::server::Build,
    openapi: fn() -> serde_json::Value,
}

fn loyalty_doc() -> serde_json::Value {
    cid_loyalty::openapi()
}

fn referral_doc() -> serde_json::Value {
    cid_referral::openapi()
}

fn rewards_doc() -> serde_json::Value {
    cid_rewards::openapi()
}

fn analytics_doc() -> serde_json::Value {
    cid_analytics::openapi()
}

fn segmentation_doc() -> serde_json::Value {
    cid_segmentation::openapi()
}

fn offers_doc() -> serde_json::Value {
    cid_offers::openapi()
}

fn notifications_doc() -> serde_json::Value {
    cid_notifications::openapi()
}

fn support_doc() -> serde_json::Value {
    cid_support::openapi()
}

fn support_chat_doc() -> serde_json::Value {
    cid_support_chat::openapi()
}

fn security_doc() -> serde_json::Value {
    cid_security::openapi()
}

fn customers_doc() -> serde_json::Value {
    cid_customers::openapi()
}

/// Every implemented service; later services are added here.
const SERVICES: &[ServiceEntry] = &[
    ServiceEntry {
        name: cid_customers::SERVICE,
        build: cid_customers::app_spec,
        openapi: customers_doc,
    },
    ServiceEntry {
        name: cid_loyalty::SERVICE,
        build: cid_loyalty::app_spec,
        openapi: loyalty_doc,
    },
    ServiceEntry {
        name: cid_referral::SERVICE,
        build: cid_referral::app_spec,
        openapi: referral_doc,
    },
    ServiceEntry {
        name: cid_rewards::SERVICE,
        build: cid_rewards::app_spec,
        openapi: rewards_doc,
    },
    ServiceEntry {
        name: cid_analytics::SERVICE,
        build: cid_analytics::app_spec,
        openapi: analytics_doc,
    },
    ServiceEntry {
        name: cid_segmentation::SERVICE,
        build: cid_segmentation::app_spec,
        openapi: segmentation_doc,
    },
    ServiceEntry {
        name: cid_offers::SERVICE,
        build: cid_offers::app_spec,
        openapi: offers_doc,
    },
    ServiceEntry {
        name: cid_notifications::SERVICE,
        build: cid_notifications::app_spec,
        openapi: notifications_doc,
    },
    ServiceEntry {
        name: cid_support::SERVICE,
        build: cid_support::app_spec,
        openapi: support_doc,
    },
    ServiceEntry {
        name: cid_support_chat::SERVICE,
        build: cid_support_chat::app_spec,
        openapi: support_chat_doc,
    },
    ServiceEntry {
        name: cid_security::SERVICE,
        build: cid_security::app_spec,
        openapi: security_doc,
    },
];

#[derive(Parser)]
#[command(name = "cid", about = "Customer ID System", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway and every implemented service in this process (Ctrl-C stops).
    Up,
    /// Print a signed development token.
    Token {
        #[arg(long)]
        sub: String,
        #[arg(long = "role", value_enum, required = true)]
        roles: Vec<RoleArg>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
    /// Print the current TOTP code of a base32 secret (as an authenticator app would), for
    /// trying two-factor authentication by hand; `--offset 1` for the next step's.
    Totp {
        secret: String,
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        offset: i64,
    },
    /// Create (PostgreSQL) and migrate every service's database.
    Migrate,
    /// Exit 0 when the gateway of a running `cid up` answers `/health` (container health
    /// checks).
    Healthcheck,
    /// Write each service's OpenAPI document and the merged one.
    Openapi {
        #[arg(long, default_value = "proto-docs/openapi")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Customer,
    Agent,
    Admin,
    Service,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Customer => Role::Customer,
            RoleArg::Agent => Role::Agent,
            RoleArg::Admin => Role::Admin,
            RoleArg::Service => Role::Service,
        }
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli.command).await {
        eprintln!("cid: {e}");
        std::process::exit(1);
    }
}

async fn run(command: Command) -> Result<(), BoxError> {
    match command {
        Command::Token { sub, roles, ttl } => {
            let settings = Settings::load()?;
            let roles: Vec<Role> = roles.into_iter().map(Role::from).collect();
            println!(
                "{}",
                cid_kit::auth::mint(&settings.auth, &sub, &roles, ttl)?
            );
            Ok(())
        }
        Command::Totp { secret, offset } => {
            use cid_security::domain::totp;
            let cleaned = secret.trim().to_ascii_uppercase().replace([' ', '='], "");
            let raw = data_encoding::BASE32_NOPAD
                .decode(cleaned.as_bytes())
                .map_err(|e| format!("not a base32 secret: {e}"))?;
            let step = totp::step_at(chrono::Utc::now().timestamp()) + offset;
            println!("{}", totp::code(&raw, step));
            Ok(())
        }
        Command::Healthcheck => {
            let settings = Settings::load()?;
            let gw: cid_gateway::GatewaySettings = settings.section("gateway")?;
            Ok(cid_kit::server::healthcheck(gw.port)?)
        }
        Command::Migrate => {
            let settings = Settings::load()?;
            for s in SERVICES {
                let url = settings.database_url(s.name);
                (s.build)(&settings, &url)?;
                println!("{}: migrated {}", s.name, cid_kit::db::redact(&url));
            }
            Ok(())
        }
        Command::Openapi { out } => write_openapi(&out),
        Command::Up => up().await,
    }
}

fn merged_document(docs: &[(String, serde_json::Value)]) -> serde_json::Value {
    let all: Vec<String> = cid_kit::settings::GROUPS
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    cid_gateway::docs::merge(docs, &all)
}

fn write_openapi(out: &std::path::Path) -> Result<(), BoxError> {
    std::fs::create_dir_all(out)?;
    let mut docs = Vec::new();
    for s in SERVICES {
        let doc = (s.openapi)();
        std::fs::write(
            out.join(format!("{}.json", s.name)),
            serde_json::to_string_pretty(&doc)? + "\n",
        )?;
        docs.push((s.name.to_owned(), doc));
    }
    let clashes = cid_gateway::docs::schema_conflicts(&docs);
    if !clashes.is_empty() {
        return Err(format!("OpenAPI schemas clash: {}", clashes.join("; ")).into());
    }
    let merged = merged_document(&docs);
    std::fs::write(
        out.join("merged.json"),
        serde_json::to_string_pretty(&merged)? + "\n",
    )?;
    println!("wrote {} documents to {}", docs.len() + 1, out.display());
    Ok(())
}

/// The banner with a development token is for a person at a terminal outside production:
/// never in production, never into a JSON log stream or a pipe.
fn show_banner(env: &str, log_format: &str, terminal: bool) -> bool {
    env != "production" && log_format != "json" && terminal
}

async fn up() -> Result<(), BoxError> {
    let settings = Settings::load()?;
    cid_kit::telemetry::init(&settings.log, "cid");
    let signal = cid_kit::server::shutdown_signal()?;
    let (mut running, mut listening) = (Vec::new(), Vec::new());
    for s in SERVICES {
        let endpoint = settings.endpoint(s.name)?;
        let listener = TcpListener::bind((endpoint.host.as_str(), endpoint.port)).map_err(|e| {
            format!(
                "{}: cannot listen on {}:{}: {e}",
                s.name, endpoint.host, endpoint.port
            )
        })?;
        let url = settings.database_url(s.name);
        let spec = (s.build)(&settings, &url)?;
        let metrics = endpoint
            .metrics_listener()
            .map_err(|e| format!("{}: cannot listen for metrics: {e}", s.name))?;
        running.push((
            s.name,
            cid_kit::server::start_with_metrics(spec, listener, metrics)?,
        ));
        listening.push(format!(
            "  {:<12} http://{}:{}  ({})",
            s.name,
            endpoint.host,
            endpoint.port,
            cid_kit::db::redact(&url)
        ));
    }
    let gw_settings: cid_gateway::GatewaySettings = settings.section("gateway")?;
    let mut gateway = cid_gateway::Gateway::from_settings(&settings)?;
    let names: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
    gateway.require_only(&names);
    let listener =
        TcpListener::bind((gw_settings.host.as_str(), gw_settings.port)).map_err(|e| {
            format!(
                "gateway: cannot listen on {}:{}: {e}",
                gw_settings.host, gw_settings.port
            )
        })?;
    let metrics = gw_settings
        .metrics_listener()
        .map_err(|e| format!("gateway: cannot listen for metrics: {e}"))?;
    let gateway = cid_gateway::start_with_metrics(gateway, listener, metrics)?;
    let base = format!("http://{}", gateway.addr);
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    if !show_banner(&settings.env, &settings.log.format, terminal) {
        for line in &listening {
            tracing::info!(service = line.trim(), "listening");
        }
        tracing::info!(gateway = %base, services = SERVICES.len(), "Customer ID System is up");
        let name = signal.await;
        tracing::info!(signal = name, "stopping");
        gateway.stop().await;
        futures_util::future::join_all(running.into_iter().map(|(_, r)| r.stop())).await;
        cid_kit::telemetry::shutdown();
        return Ok(());
    }
    let token = cid_kit::auth::mint(
        &settings.auth,
        "CID-2026-000001",
        &[Role::Customer],
        24 * 3600,
    )?;
    for line in &listening {
        println!("{line}");
    }
    println!("\nCustomer ID System is up.");
    println!("  gateway    {base}   (ready: {base}/ready, docs: {base}/api/customer-id/docs/)");
    println!("\nTry it (a development token for customer CID-2026-000001, valid 24 h):\n");
    println!("  curl -s {base}/api/customer-id/loyalty/tiers/all");
    println!(
        "  curl -s -H 'Authorization: Bearer {token}' {base}/api/customer-id/loyalty/CID-2026-000001"
    );
    println!(
        "\nMore tokens: cargo run -q -p cid -- token --sub ID --role customer|agent|admin|service"
    );
    println!("Ctrl-C (or SIGTERM) stops everything, letting requests in flight finish.");
    let name = signal.await;
    println!("\n{name}: stopping…");
    // The gateway first, so nothing new reaches the services while they drain.
    gateway.stop().await;
    futures_util::future::join_all(running.into_iter().map(|(_, r)| r.stop())).await;
    cid_kit::telemetry::shutdown();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_and_its_token_show_only_to_a_person_outside_production() {
        assert!(show_banner("local", "pretty", true));
        assert!(!show_banner("production", "pretty", true));
        assert!(!show_banner("local", "json", true));
        assert!(!show_banner("local", "pretty", false));
    }

    fn documents() -> Vec<(String, serde_json::Value)> {
        SERVICES
            .iter()
            .map(|s| (s.name.to_owned(), (s.openapi)()))
            .collect()
    }

    #[test]
    fn operation_ids_are_unique_and_follow_service_handler() {
        let docs = documents();
        let merged = merged_document(&docs);
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in merged["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_else(|| {
                    panic!("{method} {path} has no operationId");
                });
                let group = path.split('/').nth(3).unwrap().replace('-', "_");
                assert!(id.starts_with(&format!("{group}_")), "{id} on {path}");
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            }
        }
        assert!(schema_clashes_are_none(&docs));
    }

    fn schema_clashes_are_none(docs: &[(String, serde_json::Value)]) -> bool {
        let clashes = cid_gateway::docs::schema_conflicts(docs);
        assert!(clashes.is_empty(), "{clashes:?}");
        true
    }

    #[test]
    fn every_response_is_described_and_every_error_is_problem_json() {
        for (group, doc) in documents() {
            for (path, item) in doc["paths"].as_object().unwrap() {
                for (method, op) in item.as_object().unwrap() {
                    let responses = op["responses"].as_object().unwrap();
                    for (status, res) in responses {
                        let at = format!("{group}: {method} {path} {status}");
                        assert!(
                            res["description"].as_str().is_some_and(|d| !d.is_empty()),
                            "{at}"
                        );
                        if status.starts_with('4') || status.starts_with('5') {
                            let content = res["content"].as_object().unwrap();
                            assert_eq!(
                                content.keys().collect::<Vec<_>>(),
                                ["application/problem+json"],
                                "{at}"
                            );
                        }
                    }
                    for code in ["429", "503"] {
                        assert!(
                            responses.contains_key(code),
                            "{group}: {method} {path} lacks {code}"
                        );
                    }
                    if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                        for code in ["401", "403"] {
                            assert!(
                                responses.contains_key(code),
                                "{group}: {method} {path} lacks {code}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_merge_refuses_two_schemas_under_one_name() {
        let a = serde_json::json!({"components": {"schemas": {"Same": {"type": "string"}}}});
        let b = serde_json::json!({"components": {"schemas": {"Same": {"type": "integer"}}}});
        let same = serde_json::json!({"components": {"schemas": {"Same": {"type": "string"}}}});
        let clashes =
            cid_gateway::docs::schema_conflicts(&[("a".into(), a.clone()), ("b".into(), b)]);
        assert_eq!(clashes.len(), 1);
        assert!(clashes[0].contains("Same"));
        assert!(
            cid_gateway::docs::schema_conflicts(&[("a".into(), a), ("c".into(), same)]).is_empty()
        );
    }
}
