//! # Gateway
//!
//! One URL for every frontend: routes `/api/customer-id/<group>/*` to the group's service
//! over pooled keep-alive HTTP, verifies JWTs early, propagates request IDs and W3C trace
//! context, and answers for itself `/health`, `/ready`, `/metrics`, the merged OpenAPI
//! document and the docs page. Built directly on hyper so the forwarding path stays lean:
//! bodies stream in both directions and headers are edited in place.

mod balance;
pub mod cors;
pub mod deadline;
pub mod docs;
pub mod h1;
pub mod h2c;
pub mod pool;
pub mod proxy;
pub mod ratelimit;
pub mod respond;
pub mod settings;
pub mod upgrade;
pub mod upstream;
pub mod wire;

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cid_common::{ErrorCode, Locale};
use cid_kit::{Settings, Verifier};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use serde_json::json;

use crate::proxy::{Ctx, finish_headers};
use crate::respond::{Body, full};
pub use crate::settings::GatewaySettings;
use crate::upstream::{Breaker, Group, Upstream};

pub struct Gateway {
    groups: Vec<Group>,
    required: Vec<String>,
    threads: usize,
    verifier: Verifier,
    breaker: Breaker,
    body_limit: u64,
    default_locale: Locale,
    access_log: bool,
    cors: cors::Cors,
    /// `/metrics` on the public port (false when an internal port serves it).
    public_metrics: bool,
    limiter: Option<ratelimit::Limiter>,
    metrics: Metrics,
    docs: docs::DocsCache,
    swagger: Arc<utoipa_swagger_ui::Config<'static>>,
    /// How long a stop lets open requests finish.
    shutdown_grace: Duration,
    /// Client connections per event loop, once started.
    balance: Option<Arc<balance::Balance>>,
}

/// Request counters and latency histograms per group, resolved once so the request path
/// does no label hashing.
struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    /// Upstreams whose circuit breaker is open, per group.
    breakers_open: prometheus::IntGaugeVec,
    /// Open client connections per event loop.
    connections: prometheus::IntGaugeVec,
    rate_limited: prometheus::IntCounter,
    rate_limit_fallbacks: prometheus::IntCounter,
    /// Pipelining per group: requests written together with others, and those sent again.
    batched: IntCounterVec,
    resent: IntCounterVec,
    pauses: IntCounterVec,
    h2c_streams: IntCounterVec,
    h2c_resent: IntCounterVec,
    /// One slot per group (the last is the gateway's own routes) and status code.
    counters: Vec<Vec<std::sync::OnceLock<prometheus::IntCounter>>>,
    duration: Vec<prometheus::Histogram>,
    names: Vec<String>,
}

impl Metrics {
    fn new(groups: &[Group]) -> Self {
        let registry = Registry::new_custom(Some("cid_gateway".into()), None).unwrap_or_default();
        let requests = IntCounterVec::new(
            Opts::new("requests_total", "Requests answered by the gateway"),
            &["group", "status"],
        )
        .expect("static metric definition");
        let histograms = HistogramVec::new(
            HistogramOpts::new(
                "request_duration_seconds",
                "Time to answer, upstream included",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 10.0,
            ]),
            &["group"],
        )
        .expect("static metric definition");
        let _ = registry.register(Box::new(requests.clone()));
        let _ = registry.register(Box::new(histograms.clone()));
        let breakers_open = prometheus::IntGaugeVec::new(
            Opts::new(
                "upstream_breakers_open",
                "Upstreams skipped by an open circuit breaker",
            ),
            &["group"],
        )
        .expect("static metric definition");
        let connections = prometheus::IntGaugeVec::new(
            Opts::new(
                "client_connections",
                "Open client connections per event loop",
            ),
            &["thread"],
        )
        .expect("static metric definition");
        let rate_limited = prometheus::IntCounter::with_opts(Opts::new(
            "rate_limited_total",
            "Requests refused with 429 by the gateway's rate limits",
        ))
        .expect("static metric definition");
        let rate_limit_fallbacks = prometheus::IntCounter::with_opts(Opts::new(
            "rate_limit_fallbacks_total",
            "Rate-limit checks made in-process because the shared Redis did not answer",
        ))
        .expect("static metric definition");
        let batched = IntCounterVec::new(
            Opts::new(
                "upstream_batched_total",
                "GETs and HEADs written to an upstream together with others (pipelined)",
            ),
            &["group"],
        )
        .expect("static metric definition");
        let resent = IntCounterVec::new(
            Opts::new(
                "upstream_resent_total",
                "Requests of a batch sent again on their own: the batch's connection failed \
                 or an answer before theirs was slow",
            ),
            &["group"],
        )
        .expect("static metric definition");
        let pauses = IntCounterVec::new(
            Opts::new(
                "upstream_pipeline_pauses_total",
                "Times pipelining to an upstream was paused because it answered a batch apart",
            ),
            &["group"],
        )
        .expect("static metric definition");
        let h2c_streams = IntCounterVec::new(
            Opts::new(
                "upstream_h2c_streams_total",
                "GETs and HEADs answered as streams of an h2c connection to an upstream",
            ),
            &["group"],
        )
        .expect("static metric definition");
        let h2c_resent = IntCounterVec::new(
            Opts::new(
                "upstream_h2c_resent_total",
                "h2c streams the upstream did not process (GOAWAY, refused, connection lost \
                 before their answer), sent again over HTTP/1.1",
            ),
            &["group"],
        )
        .expect("static metric definition");
        let _ = registry.register(Box::new(h2c_streams.clone()));
        let _ = registry.register(Box::new(h2c_resent.clone()));
        let _ = registry.register(Box::new(pauses.clone()));
        let _ = registry.register(Box::new(batched.clone()));
        let _ = registry.register(Box::new(resent.clone()));
        let _ = registry.register(Box::new(breakers_open.clone()));
        let _ = registry.register(Box::new(connections.clone()));
        let _ = registry.register(Box::new(rate_limited.clone()));
        let _ = registry.register(Box::new(rate_limit_fallbacks.clone()));
        let names: Vec<String> = groups
            .iter()
            .map(|g| g.name.clone())
            .chain(["gateway".to_owned()])
            .collect();
        Self {
            counters: names
                .iter()
                .map(|_| (0..600).map(|_| std::sync::OnceLock::new()).collect())
                .collect(),
            duration: names
                .iter()
                .map(|n| histograms.with_label_values(&[n.as_str()]))
                .collect(),
            registry,
            requests,
            breakers_open,
            connections,
            rate_limited,
            rate_limit_fallbacks,
            batched,
            resent,
            pauses,
            h2c_streams,
            h2c_resent,
            names,
        }
    }

    fn observe(&self, group: usize, status: StatusCode, elapsed: Duration) {
        let slot = &self.counters[group][usize::from(status.as_u16()).min(599)];
        slot.get_or_init(|| {
            self.requests
                .with_label_values(&[self.names[group].as_str(), status.as_str()])
        })
        .inc();
        self.duration[group].observe(elapsed.as_secs_f64());
    }
}

impl Gateway {
    /// Builds the routing table from settings: every group of SPEC §3, each pointing at its
    /// configured upstreams.
    pub fn from_settings(settings: &Settings) -> Result<Self, Box<dyn std::error::Error>> {
        let gw: GatewaySettings = settings.section("gateway")?;
        let mut groups = Vec::new();
        for name in cid_kit::settings::GROUPS {
            let urls = match gw.upstreams.get(*name) {
                Some(urls) => urls.clone(),
                None => vec![settings.endpoint(name)?.base_url()],
            };
            let timeout =
                Duration::from_millis(*gw.timeouts_ms.get(*name).unwrap_or(&gw.timeout_ms));
            groups.push(
                Group::new(name, &urls, timeout)?
                    .with_pipeline(gw.pipeline_depth(name)?)
                    .with_h2c(gw.h2c),
            );
        }
        let metrics = Metrics::new(&groups);
        Ok(Self {
            required: gw
                .required
                .clone()
                .unwrap_or_else(|| groups.iter().map(|g| g.name.clone()).collect()),
            groups,
            threads: gw.threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
            }),
            verifier: Verifier::from_settings(&settings.auth)?,
            breaker: Breaker {
                failures: gw.breaker_failures.max(1),
                open_for: Duration::from_millis(gw.breaker_open_ms),
                epoch: Instant::now(),
            },
            body_limit: gw.body_limit_bytes,
            default_locale: settings.default_locale(),
            access_log: settings.log.access_log,
            cors: cors::Cors::new(&gw.cors)?,
            public_metrics: true,
            limiter: ratelimit::Limiter::new(gw.rate_limit)?,
            metrics,
            docs: docs::DocsCache::default(),
            swagger: docs::swagger_config(),
            shutdown_grace: settings.server.shutdown_grace(),
            balance: None,
        })
    }

    /// Narrows `/ready` to the groups actually deployed (used by `cid up`).
    pub fn require_only(&mut self, groups: &[&str]) {
        self.required = groups.iter().map(|g| (*g).to_owned()).collect();
    }

    fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }

    async fn handle(&self, req: Request<Incoming>, peer: &proxy::Peer) -> Response<Body> {
        let mut ctx = Ctx::new(req.headers(), self.default_locale);
        let origin = req.headers().get(header::ORIGIN).cloned();
        let method = req.method().clone();
        // Only when spans are exported: the gateway's hop of the trace, whose ID the upstream
        // gets as its parent (no span costs nothing on the fast path otherwise).
        let _span = cid_kit::telemetry::exporting().then(|| {
            let span = tracing::info_span!("gateway", method = %method,
                path = %req.uri().path(), otel.kind = "server");
            cid_kit::telemetry::adopt(&span, &mut ctx.trace);
            span
        });
        let preflight = cors::Cors::is_preflight(&method, req.headers());
        let path = req.uri().path();
        let mut res = if let Some(refused) = refuse_method(&method, &ctx) {
            refused
        } else if req.uri().path_and_query().map_or(0, |p| p.as_str().len()) > MAX_TARGET_BYTES {
            respond::problem(
                ErrorCode::UriTooLong,
                &[("limit".into(), MAX_TARGET_BYTES.to_string())],
                ctx.locale,
                &ctx.request_id,
            )
        } else if preflight {
            let mut res = full(StatusCode::NO_CONTENT, "text/plain", "");
            self.cors.preflight(origin.as_ref(), res.headers_mut());
            res
        } else if path.starts_with("/api/customer-id/") {
            match path {
                docs::OPENAPI_PATH => self.openapi().await,
                p if p.starts_with(docs::DOCS_PATH) && method == Method::GET => self.docs_page(p),
                _ => self.forward(req, peer, &mut ctx).await,
            }
        } else {
            match (path, &method) {
                ("/health", &Method::GET) => respond::json(
                    StatusCode::OK,
                    &json!({"status": "ok", "service": "gateway"}),
                ),
                ("/ready", &Method::GET) => self.ready().await,
                ("/metrics", &Method::GET) if self.public_metrics => self.metrics_text(),
                ("/health" | "/ready", _) | ("/metrics", _)
                    if self.public_metrics || path != "/metrics" =>
                {
                    let mut res = ctx.fail(ErrorCode::MethodNotAllowed, None);
                    res.headers_mut()
                        .insert(header::ALLOW, HeaderValue::from_static("GET"));
                    res
                }
                _ => ctx.fail(ErrorCode::NotFound, None),
            }
        };
        finish_headers(res.headers_mut(), &ctx);
        if !preflight {
            self.cors.response(origin.as_ref(), res.headers_mut());
        }
        let group = ctx.group.unwrap_or(self.groups.len());
        let elapsed = ctx.started.elapsed();
        self.metrics.observe(group, res.status(), elapsed);
        let group = self.metrics.names[group].as_str();
        if self.access_log {
            tracing::info!(
                request_id = %ctx.request_id,
                trace_id = %ctx.trace.trace_id,
                method = %method,
                group,
                status = res.status().as_u16(),
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "request forwarded"
            );
        }
        res
    }

    /// Ready when every required upstream answers its own `/ready`.
    async fn ready(&self) -> Response<Body> {
        let checks = self.groups.iter().map(|g| async move {
            let up = match g.pick(&self.breaker) {
                Some(u) => self.fetch_json(u, "/ready").await.is_some(),
                None => false,
            };
            (g.name.clone(), up)
        });
        let results = futures_util::future::join_all(checks).await;
        let ok = results
            .iter()
            .all(|(name, up)| *up || !self.required.contains(name));
        let upstreams: serde_json::Map<String, serde_json::Value> = results
            .into_iter()
            .map(|(name, up)| (name, json!(if up { "up" } else { "down" })))
            .collect();
        let status = if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        let body = json!({"status": if ok { "ready" } else { "not ready" }, "upstreams": upstreams, "required": self.required});
        let mut res = full(
            status,
            "application/json",
            serde_json::to_vec(&json!({"success": ok, "data": body})).unwrap_or_default(),
        );
        if !ok {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }

    fn metrics_text(&self) -> Response<Body> {
        // State read at scrape time: open breakers per group, rate-limit refusals.
        for group in &self.groups {
            let open = group
                .upstreams
                .iter()
                .filter(|u| self.breaker.is_open(u))
                .count();
            self.metrics
                .breakers_open
                .with_label_values(&[group.name.as_str()])
                .set(i64::try_from(open).unwrap_or(0));
            let name = [group.name.as_str()];
            for (counter, of) in [
                (
                    &self.metrics.batched,
                    (|u| &u.batched) as fn(&Upstream) -> &_,
                ),
                (&self.metrics.resent, |u| &u.resent),
                (&self.metrics.pauses, |u| &u.pauses),
                (&self.metrics.h2c_streams, |u| &u.h2c_streams),
                (&self.metrics.h2c_resent, |u| &u.h2c_resent),
            ] {
                let total: u64 = group
                    .upstreams
                    .iter()
                    .map(|u| of(u).load(std::sync::atomic::Ordering::Relaxed))
                    .sum();
                let counter = counter.with_label_values(&name);
                counter.inc_by(total.saturating_sub(counter.get()));
            }
        }
        if let Some(balance) = &self.balance {
            for (thread, open) in balance.open().enumerate() {
                self.metrics
                    .connections
                    .with_label_values(&[thread.to_string().as_str()])
                    .set(i64::try_from(open).unwrap_or(i64::MAX));
            }
        }
        if let Some(l) = &self.limiter {
            let refused = l.refused.load(std::sync::atomic::Ordering::Relaxed);
            let counted = self.metrics.rate_limited.get();
            self.metrics
                .rate_limited
                .inc_by(refused.saturating_sub(counted));
            let fallbacks = l.fallbacks();
            let counted = self.metrics.rate_limit_fallbacks.get();
            self.metrics
                .rate_limit_fallbacks
                .inc_by(fallbacks.saturating_sub(counted));
        }
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.metrics.registry.gather(), &mut buf);
        full(StatusCode::OK, "text/plain; version=0.0.4", buf)
    }
}

/// Longest path and query the gateway forwards: no route needs more, and the services' HTTP
/// parsers would refuse a much longer one with a bare status line instead of problem+json.
const MAX_TARGET_BYTES: usize = 8192;

/// The methods the gateway forwards; anything else is answered here, never sent on.
const FORWARDED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// 405 with `Allow` for any method the gateway does not forward (TRACE, CONNECT, WebDAV's,
/// QUERY, invented ones): answered here, never sent on. A 405 rather than 501 for unknown
/// ones, since clients and fuzzers read a 5xx as the server's fault.
fn refuse_method(method: &Method, ctx: &Ctx) -> Option<Response<Body>> {
    let forwarded = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    if forwarded.contains(method) {
        return None;
    }
    let mut res = ctx.fail(ErrorCode::MethodNotAllowed, None);
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(FORWARDED_METHODS));
    Some(res)
}

/// A started gateway.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: tokio::sync::watch::Sender<bool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (up to `server.shutdown_grace_secs`)
    /// and returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let threads = self.threads;
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    }
}

/// Serves `gateway` on `listener` with one single-threaded event loop per core, all
/// accepting on the same socket and handing connections to each other to stay even
/// (`balance`).
pub fn start(gateway: Gateway, listener: TcpListener) -> std::io::Result<Running> {
    start_with_metrics(gateway, listener, None)
}

/// As [`start`]; with `metrics`, `/metrics` is served on that listener (an internal port)
/// by one more thread, and the public port answers 404 for it.
pub fn start_with_metrics(
    mut gateway: Gateway,
    listener: TcpListener,
    metrics: Option<TcpListener>,
) -> std::io::Result<Running> {
    gateway.public_metrics = metrics.is_none();
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let threads = gateway.threads.max(1);
    let (balance, inboxes) = balance::Balance::new(threads);
    gateway.balance = Some(balance.clone());
    let gateway = Arc::new(gateway);
    let (shutdown, stop) = tokio::sync::watch::channel(false);
    let mut handles = Vec::with_capacity(threads);
    for (i, inbox) in inboxes.into_iter().enumerate() {
        let listener = listener.try_clone()?;
        let (gateway, stop) = (gateway.clone(), stop.clone());
        let lp = Loop {
            index: i,
            balance: balance.clone(),
            inbox,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        handles.push(
            std::thread::Builder::new()
                .name(format!("gateway-{i}"))
                .spawn(move || {
                    runtime.block_on(serve(gateway, listener, lp, stop));
                })?,
        );
    }
    if let Some(metrics) = metrics {
        metrics.set_nonblocking(true)?;
        let (gateway, stop) = (gateway.clone(), stop.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        handles.push(
            std::thread::Builder::new()
                .name("gateway-metrics".into())
                .spawn(move || runtime.block_on(serve_metrics(gateway, metrics, stop)))?,
        );
    }
    Ok(Running {
        addr,
        shutdown,
        threads: handles,
    })
}

/// The internal metrics port: `GET /metrics`, nothing else.
async fn serve_metrics(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        tracing::error!("metrics listener could not join the event loop");
        return;
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let gw = gateway.clone();
                let service = service_fn(move |req: Request<Incoming>| {
                    let gw = gw.clone();
                    async move {
                        Ok::<_, Infallible>(if req.uri().path() == "/metrics" && req.method() == Method::GET {
                            gw.metrics_text()
                        } else {
                            full(StatusCode::NOT_FOUND, "text/plain", "")
                        })
                    }
                });
                tokio::spawn(async move {
                    let io = TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
            _ = stop.changed() => break,
        }
    }
}

/// An event loop's place in the balance of client connections.
struct Loop {
    index: usize,
    balance: Arc<balance::Balance>,
    inbox: tokio::sync::mpsc::UnboundedReceiver<balance::Handoff>,
}

async fn serve(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    mut lp: Loop,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        tracing::error!("gateway listener could not join the event loop");
        return;
    };
    // Every connection task holds a clone of `open`; when all are gone, `closed` ends. (The
    // graceful helper of hyper-util does not take connections that can be upgraded to a
    // WebSocket, so the connections are told to stop here.)
    let (open, mut closed) = tokio::sync::mpsc::channel::<()>(1);
    // This loop's upstream deadlines (`deadline::within`); it ends with the runtime.
    tokio::spawn(deadline::sweep());
    let mut http = hyper::server::conn::http1::Builder::new();
    // Small answers go out in one plain write (headers and body copied together) rather
    // than a two-part writev.
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .writev(false);
    let stops = stop.clone();
    let connection = |stream: tokio::net::TcpStream, peer, counted: balance::Counted| {
        let gw = gateway.clone();
        let peer = Arc::new(proxy::Peer::new(peer));
        let service = service_fn(move |req| {
            let (gw, peer) = (gw.clone(), peer.clone());
            async move { Ok::<_, Infallible>(gw.handle(req, &peer).await) }
        });
        let io = TokioIo::new(wire::ProblemIo::new(stream));
        let conn = http.serve_connection(io, service).with_upgrades();
        let (held, mut stopping) = (open.clone(), stops.clone());
        tokio::spawn(async move {
            tokio::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = stopping.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "client connection ended with an error");
            }
            drop((held, counted));
        });
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let counted = lp.balance.assign(lp.index);
                if counted.thread == lp.index {
                    connection(stream, peer, counted);
                } else if let Ok(stream) = stream.into_std() {
                    lp.balance.hand(balance::Handoff { stream, peer, counted });
                }
            }
            Some(handed) = lp.inbox.recv() => {
                if let Ok(stream) = tokio::net::TcpStream::from_std(handed.stream) {
                    connection(stream, handed.peer, handed.counted);
                }
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    drop(open);
    let _ = tokio::time::timeout(gateway.shutdown_grace, closed.recv()).await;
}
