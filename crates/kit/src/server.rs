//! The app builder every service uses: middleware, shared app data, `/health`, `/ready`,
//! `/metrics`, the service's OpenAPI document and problem+json for unmatched routes.

use std::net::TcpListener;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use cid_common::{Envelope, ErrorCode};
use futures_util::future::BoxFuture;
use serde_json::json;

use crate::allow::MethodTable;
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
    /// Forgets outbox messages delivered a week ago; every service runs it.
    pub fn purge_delivered_outbox() -> Self {
        Self {
            name: "purge delivered outbox messages",
            every: std::time::Duration::from_secs(3600),
            run: Arc::new(|db: Db| {
                Box::pin(async move {
                    let now = chrono::Utc::now().naive_utc();
                    db.transact(move |c| crate::outbox::purge_delivered(c, now))
                        .await
                })
            }),
        }
    }

    /// Forgets expired idempotency keys; every service runs it.
    pub fn purge_idempotency_keys() -> Self {
        Self {
            name: "purge expired idempotency keys",
            every: std::time::Duration::from_secs(3600),
            run: Arc::new(|db: Db| {
                Box::pin(async move { db.transact(crate::idempotency::purge_expired).await })
            }),
        }
    }
}

/// A task that lives as long as the service (a connection to a message bus and its
/// subscription): started with the server, told to finish through the [`Stopping`] it is
/// given, and waited for on stop like a job.
#[derive(Clone)]
pub struct Task {
    pub name: &'static str,
    pub run: Arc<dyn Fn(Stopping) -> BoxFuture<'static, ()> + Send + Sync>,
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
    pub openapi: OpenApiDoc,
    pub configure: Configure,
    pub workers: usize,
    pub body_limit: usize,
    /// The service's own periodic chores (the kit adds the idempotency and outbox purges).
    pub jobs: Vec<Job>,
    /// Its long-lived tasks.
    pub tasks: Vec<Task>,
    /// How long a stop waits for in-flight requests and running jobs.
    pub shutdown_grace: Duration,
    /// Set when the server stops: jobs finish their round, long-lived responses end.
    pub stop: Arc<tokio::sync::watch::Sender<bool>>,
}

/// A service's OpenAPI document, built on first use (a request for it, or a request with a
/// method its path does not take): building it runs `utoipa`'s builders for every route, a
/// large part of the binary's code, which an idle service would otherwise keep resident.
#[derive(Clone)]
pub struct OpenApiDoc {
    build: fn() -> serde_json::Value,
    built: Arc<OnceLock<(String, MethodTable)>>,
}

impl OpenApiDoc {
    pub fn new(build: fn() -> serde_json::Value) -> Self {
        Self {
            build,
            built: Arc::new(OnceLock::new()),
        }
    }

    fn built(&self) -> &(String, MethodTable) {
        self.built.get_or_init(|| {
            let json = (self.build)().to_string();
            let methods = MethodTable::from_openapi(&json);
            (json, methods)
        })
    }

    /// The document as JSON.
    pub fn json(&self) -> &str {
        &self.built().0
    }

    /// The methods of each path in it.
    pub fn methods(&self) -> &MethodTable {
        &self.built().1
    }
}

/// The server's stop, as app data: a long-lived response (a live stream) ends when it is set,
/// so a stop does not wait out the grace period for it.
#[derive(Clone)]
pub struct Stopping(pub tokio::sync::watch::Receiver<bool>);

impl Stopping {
    /// Resolves once the server is stopping.
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

/// Two workers per core, at most one per pooled connection (and at least two), unless
/// `server.workers` says otherwise. A read runs on its worker (`Db::read`), which waits there
/// through PostgreSQL's round trip: with one worker per core the cores sat idle a fifth of the
/// time under load, and the account read made 10.2–10.3k req/s where four workers made
/// 13.7–14.0k on two cores (2026-12-01, eighth session); a worker costs ~0.1 MiB idle.
pub fn worker_count(setting: Option<usize>, cores: usize, pool_size: u32) -> usize {
    setting.unwrap_or_else(|| (2 * cores).clamp(2, (pool_size as usize).max(2)))
}

impl AppSpec {
    /// A service with the shared defaults (64 KiB bodies, no jobs of its own) and
    /// as many workers as [`worker_count`] gives.
    pub fn new(
        service: &'static str,
        settings: &crate::Settings,
        db: Db,
        openapi: fn() -> serde_json::Value,
        configure: Configure,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let workers = worker_count(
            settings.server.workers,
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            db.pool_stats().size,
        );
        Ok(Self {
            service,
            db,
            workers,
            verifier: Verifier::from_settings(&settings.auth)?,
            context: ContextConfig::from_settings(service, settings),
            openapi: OpenApiDoc::new(openapi),
            configure,
            body_limit: 64 * 1024,
            jobs: Vec::new(),
            tasks: Vec::new(),
            shutdown_grace: settings.server.shutdown_grace(),
            stop: Arc::new(tokio::sync::watch::channel(false).0),
        })
    }

    pub fn with_jobs(mut self, jobs: Vec<Job>) -> Self {
        self.jobs = jobs;
        self
    }

    pub fn with_task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Reads the domain events this service reacts to (`events::subscribed_types`) from the
    /// bus with `handler`, when `[events] bus = "jetstream"`; over HTTP they arrive at the
    /// service's own endpoint, which runs the same use case.
    pub fn with_event_consumer(
        mut self,
        settings: &crate::Settings,
        handler: crate::bus::Handler,
    ) -> Self {
        let types = crate::events::subscribed_types(self.service);
        self.tasks
            .extend(crate::bus::consumer(settings, self.service, types, handler));
        self
    }
}

/// A started server: where it listens and how to stop it.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
    stop_jobs: Arc<tokio::sync::watch::Sender<bool>>,
    grace: Duration,
    /// The internal `/metrics` server, when there is one.
    internal: Option<ServerHandle>,
}

impl Running {
    /// Stops accepting connections, lets in-flight requests finish and running jobs (an
    /// outbox send, a sweep) complete their current round — all within the grace period —
    /// then returns.
    pub async fn stop(mut self) {
        let _ = self.stop_jobs.send(true);
        self.handle.stop(true).await;
        if let Some(internal) = self.internal.take() {
            internal.stop(true).await;
        }
        let _ = self.task.await;
        let jobs = futures_util::future::join_all(self.jobs.iter_mut());
        if tokio::time::timeout(self.grace, jobs).await.is_err() {
            tracing::warn!("jobs still running after the grace period; stopping them");
            for job in &self.jobs {
                job.abort();
            }
        }
    }
}

/// Resolves at the first SIGTERM (container stop, pod deletion) or SIGINT (Ctrl-C), with
/// the signal's name. The handlers are installed when this is called, not when awaited, so
/// a signal arriving in between is not missed.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async move {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        })
    }
}

/// Runs `job` once per `job.every` across every replica sharing the database: each period
/// goes to the replica that takes the job's lease ([`crate::lease`]); the others sleep until the
/// period ends (plus a little, spread). After a failure (the database or a peer is down) the
/// period is given back and retried sooner than a long period would and later than a short one
/// would — 1, 2, 4 s, then every 5 s — so a chore resumes within seconds of the outage ending
/// without spinning during it.
pub async fn run_job(job: Job, db: Db, mut stop: tokio::sync::watch::Receiver<bool>) {
    use crate::lease::{self, Lease};
    let holder = uuid::Uuid::new_v4().simple().to_string();
    let period = chrono::Duration::from_std(job.every).unwrap_or(chrono::Duration::hours(1));
    let mut failures: u32 = 0;
    while !*stop.borrow() {
        let now = chrono::Utc::now().naive_utc();
        let (name, me) = (job.name, holder.clone());
        let lease = db
            .write(move |c| lease::take(c, name, &me, now, period).map_err(ApiError::from))
            .await;
        let wait = match lease {
            Ok(Lease::HeldUntil(until)) => {
                let left = (until - now).to_std().unwrap_or_default().min(job.every);
                let spread = job.every.min(Duration::from_secs(5)) / 20;
                left + spread.mul_f64(rand::random::<f64>())
            }
            Ok(Lease::Taken) => match (job.run)(db.clone()).await {
                Ok(n) => {
                    if failures > 0 {
                        tracing::info!(job = job.name, after_failures = failures, "job recovered");
                    }
                    failures = 0;
                    if n > 0 {
                        tracing::info!(job = job.name, items = n, "job done");
                    }
                    job.every
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    log_failure(job.name, failures, &e);
                    let retry = next_run_in(job.every, failures);
                    let at = now + chrono::Duration::from_std(retry).unwrap_or_default();
                    let (name, me) = (job.name, holder.clone());
                    let _ = db
                        .write(move |c| lease::give_back(c, name, &me, at).map_err(ApiError::from))
                        .await;
                    retry
                }
            },
            Err(e) => {
                failures = failures.saturating_add(1);
                log_failure(job.name, failures, &e);
                next_run_in(job.every, failures)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

fn log_failure(job: &str, failures: u32, e: &ApiError) {
    if failures == 1 || failures.is_multiple_of(20) {
        tracing::warn!(job, failures, error = %e, "job failed; backing off");
    } else {
        tracing::debug!(job, failures, error = %e, "job failed again");
    }
}

/// The wait before a job's next run after `failures` consecutive failures.
pub fn next_run_in(every: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return every;
    }
    let backoff = Duration::from_secs(1u64 << (failures - 1).min(3));
    backoff.min(Duration::from_secs(5))
}

/// Builds the server on `listener` and spawns it on the current tokio runtime.
pub fn start(spec: AppSpec, listener: TcpListener) -> std::io::Result<Running> {
    start_with_metrics(spec, listener, None)
}

/// As [`start`]; with `metrics`, `/metrics` is served on that listener (an internal port)
/// and not on the public one.
pub fn start_with_metrics(
    spec: AppSpec,
    listener: TcpListener,
    metrics: Option<TcpListener>,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop_jobs, stop) = (spec.stop.clone(), spec.stop.subscribe());
    let jobs = spec
        .jobs
        .iter()
        .cloned()
        .chain([Job::purge_idempotency_keys(), Job::purge_delivered_outbox()])
        .map(|job| tokio::spawn(run_job(job, spec.db.clone(), stop.clone())))
        .chain(spec.tasks.iter().map(|task| {
            tracing::debug!(task = task.name, "task started");
            tokio::spawn((task.run)(Stopping(stop.clone())))
        }))
        .collect();
    let grace = spec.shutdown_grace;
    let counters = web::Data::new(Metrics::new(spec.service));
    let internal = match metrics {
        None => None,
        Some(l) => {
            let (counters, db) = (counters.clone(), web::Data::new(spec.db.clone()));
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(counters.clone())
                    .app_data(db.clone())
                    .route("/metrics", web::get().to(metrics_text))
            })
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .listen(l)?
            .run();
            let handle = server.handle();
            tokio::spawn(server);
            Some(handle)
        }
    };
    let server = build(spec, listener, counters, internal.is_none())?;
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(Running {
        addr,
        handle,
        task,
        jobs,
        stop_jobs,
        grace,
        internal,
    })
}

fn build(
    spec: AppSpec,
    listener: TcpListener,
    metrics: web::Data<Metrics>,
    serve_metrics: bool,
) -> std::io::Result<Server> {
    let doc = web::Data::new(spec.openapi.clone());
    let workers = spec.workers.max(1);
    let grace = spec.shutdown_grace.as_secs().max(1);
    let server = HttpServer::new(move || {
        let spec = spec.clone();
        let configure = spec.configure.clone();
        let openapi = spec.openapi.clone();
        let openapi_path = format!("/api/customer-id/{}/openapi.json", spec.service);
        let audit_path = format!("/api/customer-id/{}/audit", spec.service);
        App::new()
            .wrap(from_fn(context::layer))
            .app_data(web::Data::new(spec.db.clone()))
            .app_data(web::Data::new(spec.verifier.clone()))
            .app_data(web::Data::new(spec.context.clone()))
            .app_data(web::Data::new(BodyLimit(spec.body_limit)))
            .app_data(metrics.clone())
            .app_data(doc.clone())
            .app_data(web::Data::new(Stopping(spec.stop.subscribe())))
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
            .configure(|cfg| {
                if serve_metrics {
                    cfg.route("/metrics", web::get().to(metrics_text));
                }
            })
            .route(
                &openapi_path,
                web::get().to(move || {
                    let body = openapi.json().to_owned();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(body)
                    }
                }),
            )
            // Before the service's own routes, so that `audit` is never taken for an ID.
            .route(&audit_path, web::get().to(crate::audit::list))
            .configure(|cfg| configure(cfg))
            .default_service(web::to(unmatched))
    })
    .workers(workers)
    // Answers of pipelined requests are written one after another: without this the second
    // small write waits for the peer's ACK of the first (Nagle), as nginx's `tcp_nodelay on`
    // avoids by default.
    .tcp_nodelay(true)
    .disable_signals()
    .shutdown_timeout(grace)
    // HTTP/1.1 and, with prior knowledge, HTTP/2 without TLS on the one port: the gateway
    // sends its GETs as h2c streams of one connection, which the service answers
    // concurrently (a connection's HTTP/1.1 requests are answered one after another).
    .listen_auto_h2c(listener)?
    .run();
    Ok(server)
}

/// No route took the request: 405 with `Allow` when the path is known under other methods,
/// else 404.
async fn unmatched(
    req: actix_web::HttpRequest,
    doc: web::Data<OpenApiDoc>,
) -> Result<HttpResponse, ApiError> {
    match doc.methods().allow(req.path()) {
        Some(allow) => {
            let mut res = actix_web::ResponseError::error_response(&ApiError::new(
                ErrorCode::MethodNotAllowed,
            ));
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(actix_web::http::header::ALLOW, v);
            }
            Ok(res)
        }
        None => Err(ApiError::new(ErrorCode::NotFound)),
    }
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

async fn metrics_text(metrics: web::Data<Metrics>, db: web::Data<Db>) -> HttpResponse {
    let g = &metrics.state;
    let pool = db.pool_stats();
    g.pool_size.set(i64::from(pool.size));
    g.pool_in_use.set(i64::from(pool.in_use));
    g.pool_waiting
        .set(i64::try_from(pool.waiting).unwrap_or(i64::MAX));
    {
        // Two scrapes at once must not both add the same difference.
        static CATCH_UP: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = CATCH_UP
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.pipelined_reads
            .inc_by(pool.pipelined_reads.saturating_sub(g.pipelined_reads.get()));
    }
    // The database down: the outbox gauges keep their last values; the rest still answers.
    if let Ok((pending, oldest)) = db.query(crate::outbox::backlog).await {
        g.outbox_pending.set(pending);
        let now = chrono::Utc::now().naive_utc();
        g.outbox_oldest_age
            .set(oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0));
    }
    g.read_process();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}

/// `<binary> healthcheck`: whether the server on `port` of this host answers `GET /health`
/// with 200 within 2 s — the container's health check, with no curl in the image.
pub fn healthcheck(port: u16) -> Result<(), String> {
    use std::io::{Read, Write};
    let timeout = Duration::from_secs(2);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).map_err(|e| e.to_string())?;
    if head.starts_with(b"HTTP/1.") && &head[9..12] == b"200" {
        Ok(())
    } else {
        Err(format!("{addr}: {}", String::from_utf8_lossy(&head)))
    }
}

/// Whether the process was started as `<binary> healthcheck`.
pub fn is_healthcheck() -> bool {
    std::env::args().nth(1).as_deref() == Some("healthcheck")
}

/// The whole `main` of a service binary: settings → telemetry → serve until SIGTERM or
/// SIGINT, then stop gracefully and return (exit status 0). `<binary> healthcheck` checks the
/// running one instead.
pub async fn run_main(
    service: &'static str,
    build: Build,
) -> Result<(), Box<dyn std::error::Error>> {
    let settings = crate::Settings::load()?;
    if is_healthcheck() {
        return Ok(healthcheck(settings.endpoint(service)?.port)?);
    }
    crate::telemetry::init(&settings.log, service);
    let signal = shutdown_signal()?;
    let endpoint = settings.endpoint(service)?;
    let listener = TcpListener::bind((endpoint.host.as_str(), endpoint.port))?;
    let metrics = endpoint.metrics_listener()?;
    let spec = build(&settings, &settings.database_url(service))?;
    tracing::info!(service, addr = %listener.local_addr()?, "listening");
    let running = start_with_metrics(spec, listener, metrics)?;
    let name = signal.await;
    tracing::info!(service, signal = name, "stopping: finishing in-flight work");
    running.stop().await;
    tracing::info!(service, "stopped");
    crate::telemetry::shutdown();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_are_two_per_core_within_the_pool_unless_set() {
        assert_eq!(worker_count(None, 2, 8), 4);
        assert_eq!(worker_count(None, 1, 8), 2);
        assert_eq!(
            worker_count(None, 16, 8),
            8,
            "no more than pooled connections"
        );
        assert_eq!(
            worker_count(None, 2, 1),
            2,
            "two even on a one-connection pool"
        );
        assert_eq!(worker_count(Some(3), 16, 8), 3);
    }

    #[test]
    fn a_failing_job_backs_off_to_five_seconds_and_a_healthy_one_keeps_its_period() {
        let every = Duration::from_millis(200);
        assert_eq!(next_run_in(every, 0), every);
        let waits: Vec<u64> = (1..=6).map(|n| next_run_in(every, n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 5, 5, 5]);
        assert_eq!(
            next_run_in(Duration::from_secs(3600), 1),
            Duration::from_secs(1)
        );
    }
}
