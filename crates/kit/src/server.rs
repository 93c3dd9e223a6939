//! The app builder every service uses: middleware, shared app data, `/health`, `/ready`,
//! `/metrics`, the service's OpenAPI document and problem+json for unmatched routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use cid_common::{Envelope, ErrorCode};
use futures_util::future::BoxFuture;
use serde_json::json;

use crate::auth::Verifier;
use crate::context::{self, ContextConfig};
use crate::db::Db;
use crate::error::ApiError;
use crate::json::BodyLimit;
use crate::metrics::Metrics;

pub type Configure = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// How a service crate turns settings and its database URL into an [`AppSpec`].
pub type Build = fn(&crate::Settings, &str) -> Result<AppSpec, Box<dyn std::error::Error>>;

/// A periodic chore of one service (expiry sweeps, purges), run every `every` while the
/// service runs; it makes its own transactions through the `Db` it is given.
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    pub every: std::time::Duration,
    pub run: Arc<dyn Fn(Db) -> BoxFuture<'static, Result<usize, ApiError>> + Send + Sync>,
}

impl Job {
    /// Forgets expired idempotency keys; every service runs it.
    pub fn purge_idempotency_keys() -> Self {
        Self {
            name: "purge expired idempotency keys",
            every: std::time::Duration::from_secs(3600),
            run: Arc::new(|db: Db| {
                Box::pin(async move {
                    db.write(|c| crate::idempotency::purge_expired(c).map_err(ApiError::from))
                        .await
                })
            }),
        }
    }
}

/// Everything needed to serve one service.
#[derive(Clone)]
pub struct AppSpec {
    /// The gateway group, e.g. `loyalty`; also the path segment after `/api/customer-id/`.
    pub service: &'static str,
    pub db: Db,
    pub verifier: Verifier,
    pub context: ContextConfig,
    /// The service's OpenAPI 3 document, served at `/api/customer-id/<service>/openapi.json`.
    pub openapi: Arc<String>,
    pub configure: Configure,
    pub workers: usize,
    pub body_limit: usize,
    /// The service's own periodic chores (the kit adds the idempotency purge).
    pub jobs: Vec<Job>,
}

impl AppSpec {
    /// A service with the shared defaults (2 workers, 64 KiB bodies, no jobs of its own).
    pub fn new(
        service: &'static str,
        settings: &crate::Settings,
        db: Db,
        openapi: utoipa::openapi::OpenApi,
        configure: Configure,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Self {
            service,
            db,
            verifier: Verifier::from_settings(&settings.auth)?,
            context: ContextConfig::from_settings(service, settings),
            openapi: Arc::new(openapi.to_json()?),
            configure,
            workers: 2,
            body_limit: 64 * 1024,
            jobs: Vec::new(),
        })
    }

    pub fn with_jobs(mut self, jobs: Vec<Job>) -> Self {
        self.jobs = jobs;
        self
    }
}

/// A started server: where it listens and how to stop it.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn stop(self) {
        for job in &self.jobs {
            job.abort();
        }
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}

async fn run_job(job: Job, db: Db) {
    let mut every = tokio::time::interval(job.every);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match (job.run)(db.clone()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(job = job.name, items = n, "job done"),
            Err(e) => tracing::warn!(job = job.name, error = %e, "job failed"),
        }
    }
}

/// Builds the server on `listener` and spawns it on the current tokio runtime.
pub fn start(spec: AppSpec, listener: TcpListener) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let jobs = spec
        .jobs
        .iter()
        .cloned()
        .chain([Job::purge_idempotency_keys()])
        .map(|job| tokio::spawn(run_job(job, spec.db.clone())))
        .collect();
    let server = build(spec, listener)?;
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(Running {
        addr,
        handle,
        task,
        jobs,
    })
}

pub fn build(spec: AppSpec, listener: TcpListener) -> std::io::Result<Server> {
    let metrics = web::Data::new(Metrics::new(spec.service));
    let workers = spec.workers.max(1);
    let server = HttpServer::new(move || {
        let spec = spec.clone();
        let configure = spec.configure.clone();
        let openapi = spec.openapi.clone();
        let openapi_path = format!("/api/customer-id/{}/openapi.json", spec.service);
        App::new()
            .wrap(from_fn(context::layer))
            .app_data(web::Data::new(spec.db.clone()))
            .app_data(web::Data::new(spec.verifier.clone()))
            .app_data(web::Data::new(spec.context.clone()))
            .app_data(web::Data::new(BodyLimit(spec.body_limit)))
            .app_data(metrics.clone())
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                tracing::debug!(error = %e, "bad query string");
                ApiError::new(ErrorCode::ValidationFailed).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|e, _| {
                tracing::debug!(error = %e, "bad path");
                ApiError::new(ErrorCode::ValidationFailed).into()
            }))
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready))
            .route("/metrics", web::get().to(metrics_text))
            .route(
                &openapi_path,
                web::get().to(move || {
                    let body = openapi.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(body.to_string())
                    }
                }),
            )
            .configure(|cfg| configure(cfg))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::new(ErrorCode::NotFound))
            }))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok(server)
}

async fn health(ctx: web::Data<ContextConfig>) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok(
        json!({"status": "ok", "service": ctx.service}),
    ))
}

async fn ready(db: web::Data<Db>, ctx: web::Data<ContextConfig>) -> Result<HttpResponse, ApiError> {
    db.ping().await?;
    Ok(HttpResponse::Ok().json(Envelope::ok(
        json!({"status": "ready", "service": ctx.service, "database": "up"}),
    )))
}

async fn metrics_text(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}

/// The whole `main` of a service binary: settings → telemetry → serve until Ctrl-C.
pub async fn run_main(
    service: &'static str,
    build: Build,
) -> Result<(), Box<dyn std::error::Error>> {
    let settings = crate::Settings::load()?;
    crate::telemetry::init(&settings.log, service);
    let endpoint = settings.endpoint(service)?;
    let listener = TcpListener::bind((endpoint.host.as_str(), endpoint.port))?;
    let spec = build(&settings, &settings.database_url(service))?;
    tracing::info!(service, addr = %listener.local_addr()?, "listening");
    let running = start(spec, listener)?;
    tokio::signal::ctrl_c().await?;
    running.stop().await;
    crate::telemetry::shutdown();
    Ok(())
}
