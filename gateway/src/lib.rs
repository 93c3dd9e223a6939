//! # Gateway
//!
//! One URL for every frontend: routes `/api/customer-id/<group>/*` to the group's service
//! over pooled keep-alive HTTP, verifies JWTs early, propagates request IDs and W3C trace
//! context, and answers for itself `/health`, `/ready`, `/metrics`, the merged OpenAPI
//! document and the docs page. Built directly on hyper so the forwarding path stays lean:
//! bodies stream in both directions and headers are edited in place.

pub mod docs;
pub mod proxy;
pub mod respond;
pub mod settings;
pub mod upstream;

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cid_common::{ErrorCode, Locale};
use cid_kit::{Settings, Verifier};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use serde_json::json;

use crate::proxy::{Ctx, UpstreamBody, finish_headers};
use crate::respond::{Body, full};
pub use crate::settings::GatewaySettings;
use crate::upstream::{Breaker, Group};

pub struct Gateway {
    groups: Vec<Group>,
    required: Vec<String>,
    client: Client<HttpConnector, UpstreamBody>,
    verifier: Verifier,
    breaker: Breaker,
    body_limit: u64,
    default_locale: Locale,
    access_log: bool,
    cors_origins: Vec<String>,
    metrics: Metrics,
    docs: docs::DocsCache,
    swagger: Arc<utoipa_swagger_ui::Config<'static>>,
}

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new_custom(Some("cid_gateway".into()), None).unwrap_or_default();
        let requests = IntCounterVec::new(
            Opts::new("requests_total", "Requests answered by the gateway"),
            &["group", "status"],
        )
        .expect("static metric definition");
        let duration = HistogramVec::new(
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
        let _ = registry.register(Box::new(duration.clone()));
        Self {
            registry,
            requests,
            duration,
        }
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
            groups.push(Group::new(name, &urls, timeout)?);
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Self {
            required: gw
                .required
                .clone()
                .unwrap_or_else(|| groups.iter().map(|g| g.name.clone()).collect()),
            groups,
            client,
            verifier: Verifier::from_settings(&settings.auth)?,
            breaker: Breaker {
                failures: gw.breaker_failures.max(1),
                open_for: Duration::from_millis(gw.breaker_open_ms),
                epoch: Instant::now(),
            },
            body_limit: gw.body_limit_bytes,
            default_locale: settings.default_locale(),
            access_log: settings.log.access_log,
            cors_origins: gw.cors_origins,
            metrics: Metrics::new(),
            docs: docs::DocsCache::default(),
            swagger: docs::swagger_config(),
        })
    }

    /// Narrows `/ready` to the groups actually deployed (used by `cid up`).
    pub fn require_only(&mut self, groups: &[&str]) {
        self.required = groups.iter().map(|g| (*g).to_owned()).collect();
    }

    fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }

    async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let mut ctx = Ctx::new(req.headers(), self.default_locale);
        let origin = req.headers().get(header::ORIGIN).cloned();
        let method = req.method().clone();
        let path = req.uri().path();
        let mut res = if method == Method::OPTIONS
            && origin.is_some()
            && !self.cors_origins.is_empty()
        {
            full(StatusCode::NO_CONTENT, "text/plain", "")
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
                ("/metrics", &Method::GET) => self.metrics_text(),
                _ => ctx.fail(ErrorCode::NotFound, None),
            }
        };
        finish_headers(res.headers_mut(), &ctx);
        self.cors(res.headers_mut(), origin.as_ref());
        let group = ctx.group.as_deref().unwrap_or("gateway");
        self.metrics
            .requests
            .with_label_values(&[group, res.status().as_str()])
            .inc();
        let elapsed = ctx.started.elapsed();
        self.metrics
            .duration
            .with_label_values(&[group])
            .observe(elapsed.as_secs_f64());
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

    fn cors(&self, headers: &mut http::HeaderMap, origin: Option<&HeaderValue>) {
        let Some(origin) = origin else { return };
        let allowed = self
            .cors_origins
            .iter()
            .any(|o| o == "*" || o.as_bytes() == origin.as_bytes());
        if !allowed {
            return;
        }
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type, Accept-Language, Idempotency-Key, X-Request-Id, traceparent"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "X-Request-Id, Idempotency-Replay, Retry-After, Content-Language",
            ),
        );
    }

    /// Ready when every required upstream answers its own `/ready`.
    async fn ready(&self) -> Response<Body> {
        let checks = self.groups.iter().map(|g| async move {
            let up = match g.pick(&self.breaker) {
                Some(u) => self
                    .fetch_json(&format!("{}/ready", u.base))
                    .await
                    .is_some(),
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
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.metrics.registry.gather(), &mut buf);
        full(StatusCode::OK, "text/plain; version=0.0.4", buf)
    }
}

/// A started gateway.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (up to 5 s) and returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Serves `gateway` on `listener` in the current runtime.
pub fn start(gateway: Gateway, listener: TcpListener) -> std::io::Result<Running> {
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let gateway = Arc::new(gateway);
    let (shutdown, mut stop) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let http = hyper::server::conn::http1::Builder::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let gw = gateway.clone();
                    let service = service_fn(move |req| {
                        let gw = gw.clone();
                        async move { Ok::<_, Infallible>(gw.handle(req, peer).await) }
                    });
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "client connection ended with an error");
                        }
                    });
                }
                _ = stop.changed() => break,
            }
        }
        drop(listener);
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    });
    Ok(Running {
        addr,
        shutdown,
        task,
    })
}
