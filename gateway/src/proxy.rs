//! The forwarding pipeline, in named phases: parse route → request filter (request ID, body
//! limit, JWT, CORS) → build the upstream request (hop-by-hop hygiene, forwarding headers,
//! request ID, `traceparent`) → send (pooled keep-alive client, timeout, breaker, safe retry)
//! → response filter → log.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use bytes::Bytes;
use cid_common::{ErrorCode, Locale};
use cid_kit::trace::{TraceContext, request_id};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Either, Empty, Limited};
use hyper::body::Incoming;

use crate::Gateway;
use crate::pool::{self, SendError};
use crate::ratelimit::{self, Budget, Verdict};
use crate::respond::{Body, problem};
use crate::upstream::{Group, group_of};

/// A bodiless request or a streamed body under the size limit, without boxing either.
pub type UpstreamBody = Either<Empty<Bytes>, Limited<Incoming>>;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_TRACE_ID: HeaderName = HeaderName::from_static("x-trace-id");
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Headers that belong to one connection and never cross a proxy (RFC 9110 §7.6.1).
static HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
];

/// The client at the other end of a connection.
pub struct Peer {
    pub addr: SocketAddr,
    /// Its IP as a header value, written once per connection rather than per request.
    pub ip: HeaderValue,
}

impl Peer {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            ip: HeaderValue::from_str(&addr.ip().to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("unknown")),
            addr,
        }
    }
}

/// What the phases learn about one request.
pub struct Ctx {
    pub request_id: String,
    pub locale: Locale,
    pub trace: TraceContext,
    pub started: Instant,
    /// Index of the routed group in the table.
    pub group: Option<usize>,
}

impl Ctx {
    pub fn new(headers: &HeaderMap, default_locale: Locale) -> Self {
        Self {
            request_id: request_id(headers.get(&X_REQUEST_ID).map(HeaderValue::as_bytes)),
            locale: Locale::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
                default_locale,
            ),
            trace: TraceContext::continue_from(
                headers.get(&TRACEPARENT).and_then(|v| v.to_str().ok()),
            ),
            started: Instant::now(),
            group: None,
        }
    }

    pub fn fail(&self, code: ErrorCode, service: Option<&str>) -> Response<Body> {
        let args: Vec<(String, String)> = service
            .map(|s| vec![("service".to_owned(), s.to_owned())])
            .unwrap_or_default();
        problem(code, &args, self.locale, &self.request_id)
    }
}

/// Whether a header belongs to one connection and never crosses a proxy (RFC 9110 §7.6.1),
/// framing (`Transfer-Encoding`) included: one match on the name.
pub(crate) fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "transfer-encoding"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "upgrade"
    )
}

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Usually there is nothing to strip: one pass over the names beats ten hashed removals.
    let any = headers.keys().any(|k| is_hop_by_hop(k.as_str()));
    if !any {
        return;
    }
    if let Some(conn) = headers.get(header::CONNECTION) {
        let named: Vec<HeaderName> = conn
            .to_str()
            .unwrap_or("")
            .split(',')
            .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove(header::TRANSFER_ENCODING);
}

fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    )
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v != "0")
}

fn is_body_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cur = e.source();
    }
    false
}

impl Gateway {
    /// Phase: route an API request to its group and forward it.
    pub(crate) async fn forward(
        &self,
        mut req: Request<Incoming>,
        peer: &Peer,
        ctx: &mut Ctx,
    ) -> Response<Body> {
        let Some(name) = group_of(req.uri().path()) else {
            return ctx.fail(ErrorCode::NotFound, None);
        };
        let Some((index, group)) = self.groups.iter().enumerate().find(|(_, g)| g.name == name)
        else {
            return ctx.fail(ErrorCode::NotFound, None);
        };
        ctx.group = Some(index);

        // Phase: request filter.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.body_limit) {
            return problem(
                ErrorCode::PayloadTooLarge,
                &[("limit".into(), self.body_limit.to_string())],
                ctx.locale,
                &ctx.request_id,
            );
        }
        let budget = match self.admit(&req, peer.addr, ctx).await {
            Ok(budget) => budget,
            Err(refusal) => return *refusal,
        };

        // Phase: build the upstream request (a WebSocket upgrade keeps hold of the client's
        // side of the switch).
        let websocket = crate::upgrade::is_websocket(req.headers());
        // Upgrades and bodies of undeclared length go through hyper's client; everything
        // else through the gateway's own exchange on this task (`h1.rs`).
        let own = !websocket && crate::h1::accepts(&req);
        let client_side = websocket.then(|| hyper::upgrade::on(&mut req));
        let (mut parts, body) = req.into_parts();
        let bodiless = !has_body(&parts.headers);
        // The client's address appended to any `X-Forwarded-For` it came with.
        let forwarded_for = match parts
            .headers
            .get(&X_FORWARDED_FOR)
            .and_then(|v| v.to_str().ok())
        {
            Some(prior) => HeaderValue::from_str(&format!("{prior}, {}", peer.addr.ip()))
                .unwrap_or_else(|_| peer.ip.clone()),
            None => peer.ip.clone(),
        };
        let traceparent = ctx.trace.header();
        if !own {
            // hyper's client writes the map: the same headers set in it (the own exchange
            // writes them as it copies the client's, `h1::encode`).
            let original_host = parts.headers.remove(header::HOST);
            strip_hop_by_hop(&mut parts.headers);
            if websocket {
                crate::upgrade::mark(&mut parts.headers);
            }
            parts
                .headers
                .insert(X_FORWARDED_FOR.clone(), forwarded_for.clone());
            parts
                .headers
                .insert(X_FORWARDED_PROTO.clone(), HeaderValue::from_static("http"));
            match original_host {
                Some(host) => parts.headers.insert(X_FORWARDED_HOST.clone(), host),
                None => parts.headers.remove(&X_FORWARDED_HOST),
            };
            if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
                parts.headers.insert(X_REQUEST_ID.clone(), v);
            }
            if let Ok(v) = HeaderValue::from_str(&traceparent) {
                parts.headers.insert(TRACEPARENT.clone(), v);
            }
        }
        // Only a bodiless idempotent request can be sent again, and only elsewhere.
        let again = bodiless && idempotent(&parts.method) && group.upstreams.len() > 1;
        let limit = usize::try_from(self.body_limit).unwrap_or(usize::MAX);

        // Phase: send.
        let outcome = if own {
            let body = if bodiless {
                Bytes::new()
            } else {
                match Limited::new(body, limit).collect().await {
                    Ok(collected) => collected.to_bytes(),
                    Err(e) if is_body_limit(e.as_ref()) => {
                        return problem(
                            ErrorCode::PayloadTooLarge,
                            &[("limit".into(), self.body_limit.to_string())],
                            ctx.locale,
                            &ctx.request_id,
                        );
                    }
                    // The client stopped sending: nothing to forward, nobody to answer.
                    Err(_) => return ctx.fail(ErrorCode::ValidationFailed, None),
                }
            };
            let fwd = crate::h1::Forwarding {
                forwarded_for: forwarded_for.as_bytes(),
                host: parts.headers.get(header::HOST).map(HeaderValue::as_bytes),
                request_id: &ctx.request_id,
                traceparent: &traceparent,
            };
            let mut outcome = self.send_own(group, &parts, &fwd, &body, ctx).await;
            if again && matches!(outcome, Err(ErrorCode::ServiceUnavailable)) {
                outcome = self.send_own(group, &parts, &fwd, &body, ctx).await;
            }
            outcome.map(|res| res.map(Either::Right))
        } else {
            let retry = again.then(|| {
                (
                    parts.method.clone(),
                    parts.uri.clone(),
                    parts.version,
                    parts.headers.clone(),
                )
            });
            let body: UpstreamBody = if bodiless {
                Either::Left(Empty::new())
            } else {
                Either::Right(Limited::new(body, limit))
            };
            let mut outcome = self
                .send(group, Request::from_parts(parts, body), ctx, client_side)
                .await;
            if let (Err(ErrorCode::ServiceUnavailable), Some((method, uri, version, headers))) =
                (&outcome, retry)
            {
                let mut again = Request::new(Either::Left(Empty::new()));
                *again.method_mut() = method;
                *again.uri_mut() = uri;
                *again.version_mut() = version;
                *again.headers_mut() = headers;
                outcome = self.send(group, again, ctx, None).await;
            }
            outcome.map(|res| res.map(Either::Left))
        };

        // Phase: response filter.
        let mut res = match outcome {
            Ok(res) => {
                let (mut parts, body) = res.into_parts();
                // A switch of protocols names itself to the client; anything else is
                // cleaned of hop-by-hop headers.
                if parts.status != http::StatusCode::SWITCHING_PROTOCOLS {
                    strip_hop_by_hop(&mut parts.headers);
                }
                Response::from_parts(parts, Either::Left(body))
            }
            Err(ErrorCode::PayloadTooLarge) => problem(
                ErrorCode::PayloadTooLarge,
                &[("limit".into(), self.body_limit.to_string())],
                ctx.locale,
                &ctx.request_id,
            ),
            Err(code) => ctx.fail(code, Some(&group.name)),
        };
        if let Some(budget) = budget {
            rate_headers(res.headers_mut(), budget);
        }
        res
    }

    /// Phase: request filter for who is calling — the token (401 when invalid) and the
    /// caller's and the client IP's rate limits (429 when spent). Nothing of the token cache
    /// is held across a wait (the shared budgets are a call to Redis): only who the caller is.
    async fn admit(
        &self,
        req: &Request<Incoming>,
        peer: SocketAddr,
        ctx: &Ctx,
    ) -> Result<Option<Budget>, Box<Response<Body>>> {
        // A browser's WebSocket carries its token in the query: checked like a header.
        let from_query = (req.headers().get(header::AUTHORIZATION).is_none()
            && crate::upgrade::is_websocket(req.headers()))
        .then(|| crate::upgrade::query_token(req.uri().query()))
        .flatten();
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .or(from_query.as_deref().map(str::as_bytes));
        // The subject, and whether its role is exempt from the limits.
        let who = |c: &cid_kit::Caller| {
            let exempt = self
                .limiter
                .as_ref()
                .is_some_and(|l| c.roles.iter().any(|r| l.exempts(r.as_str())));
            (c.subject.clone(), exempt)
        };
        // One look in the verified-token cache per request; a miss is verified below.
        let known = auth.and_then(|a| self.verifier.cached(a)).map(|c| who(&c));
        let verify = |auth: &[u8]| {
            self.verifier
                .caller(Some(auth))
                .map(|c| c.map(|c| who(&c)))
                .map_err(|e| Box::new(ctx.fail(e.code, None)))
        };
        let Some(limiter) = &self.limiter else {
            if let (None, Some(auth)) = (&known, auth) {
                verify(auth)?;
            }
            return Ok(None);
        };
        let ip = limiter
            .trusts_forwarded_for()
            .then(|| {
                req.headers()
                    .get(&X_FORWARDED_FOR)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(',').next())
                    .and_then(|v| v.trim().parse::<IpAddr>().ok())
            })
            .flatten()
            .unwrap_or_else(|| peer.ip());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let limited = |budget: Budget| {
            limiter
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut res = ctx.fail(ErrorCode::RateLimited, None);
            rate_headers(res.headers_mut(), budget);
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(budget.reset));
            Box::new(res)
        };
        // A token not seen before pays the IP's budget before its signature is checked;
        // a known good one is counted below with its caller.
        let ip_charged = auth.is_some() && known.is_none();
        if ip_charged && let Verdict::Limited(budget) = limiter.check_ip(ip, now).await {
            return Err(limited(budget));
        }
        let caller = match (known, auth) {
            (Some(known), _) => Some(known),
            (None, Some(auth)) => verify(auth)?,
            (None, None) => None,
        };
        if caller.as_ref().is_some_and(|(_, exempt)| *exempt) {
            if ip_charged {
                limiter.refund_ip(ip).await;
            }
            return Ok(None);
        }
        let strict = ratelimit::is_strict(req.method(), req.uri().path());
        let subject = caller.as_ref().map(|(subject, _)| subject.as_str());
        let verdict = if ip_charged {
            limiter.check_after_ip(subject, ip, strict, now).await
        } else {
            limiter.check(subject, ip, strict, now).await
        };
        match verdict {
            Verdict::Allowed(budget) => Ok(Some(budget)),
            Verdict::Limited(budget) => Err(limited(budget)),
        }
    }

    async fn send(
        &self,
        group: &Group,
        req: Request<UpstreamBody>,
        ctx: &Ctx,
        upgrade: Option<hyper::upgrade::OnUpgrade>,
    ) -> Result<Response<Incoming>, ErrorCode> {
        let Some(upstream) = group.pick(&self.breaker) else {
            return Err(ErrorCode::ServiceUnavailable);
        };
        let exchange = async {
            match upgrade {
                Some(client) => crate::upgrade::send(upstream, req, client).await,
                None => pool::send(upstream, req).await,
            }
        };
        let outcome = crate::deadline::within(group.timeout, exchange).await;
        self.settle(upstream, outcome, ctx)
    }

    /// [`Gateway::send`] on the gateway's own exchange.
    async fn send_own(
        &self,
        group: &Group,
        parts: &http::request::Parts,
        fwd: &crate::h1::Forwarding<'_>,
        body: &Bytes,
        ctx: &Ctx,
    ) -> Result<Response<crate::h1::UpstreamBody>, ErrorCode> {
        let Some(upstream) = group.pick(&self.breaker) else {
            return Err(ErrorCode::ServiceUnavailable);
        };
        let exchange = crate::h1::send(upstream, parts, fwd, body);
        let outcome = crate::deadline::within(group.timeout, exchange).await;
        self.settle(upstream, outcome, ctx)
    }

    /// An exchange's outcome (`None`: timed out) for the breaker, the log and the client.
    fn settle<B>(
        &self,
        upstream: &crate::upstream::Upstream,
        outcome: Option<Result<Response<B>, SendError>>,
        ctx: &Ctx,
    ) -> Result<Response<B>, ErrorCode> {
        match outcome {
            Some(Ok(res)) => {
                self.breaker.success(upstream);
                Ok(res)
            }
            Some(Err(SendError::Connect(e))) => {
                self.breaker.failure(upstream);
                tracing::warn!(request_id = %ctx.request_id, upstream = %upstream.base, error = %e, "upstream unreachable");
                Err(ErrorCode::ServiceUnavailable)
            }
            Some(Err(SendError::Exchange(e))) if is_body_limit(&e) => {
                Err(ErrorCode::PayloadTooLarge)
            }
            Some(Err(SendError::Exchange(e))) => {
                self.breaker.failure(upstream);
                tracing::warn!(request_id = %ctx.request_id, upstream = %upstream.base, error = %e, "upstream failed");
                Err(ErrorCode::BadGateway)
            }
            Some(Err(SendError::Io(e))) => {
                self.breaker.failure(upstream);
                tracing::warn!(request_id = %ctx.request_id, upstream = %upstream.base, error = %e, "upstream failed");
                Err(ErrorCode::BadGateway)
            }
            None => {
                // Dropping the exchange closes that connection, so no late answer can be
                // mistaken for the next request's.
                self.breaker.failure(upstream);
                tracing::warn!(request_id = %ctx.request_id, upstream = %upstream.base, "upstream timed out");
                Err(ErrorCode::GatewayTimeout)
            }
        }
    }
}

static RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// `RateLimit-*` headers of the tightest budget that applied.
fn rate_headers(headers: &mut HeaderMap, budget: Budget) {
    headers.insert(RATELIMIT_LIMIT.clone(), HeaderValue::from(budget.limit));
    headers.insert(
        RATELIMIT_REMAINING.clone(),
        HeaderValue::from(budget.remaining),
    );
    headers.insert(RATELIMIT_RESET.clone(), HeaderValue::from(budget.reset));
}

/// Headers every response gets, whoever wrote it: the request and trace IDs, `nosniff`, and
/// `no-store` unless the upstream chose its own caching.
pub fn finish_headers(headers: &mut HeaderMap, ctx: &Ctx) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(X_REQUEST_ID.clone(), v);
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.trace.trace_id) {
        headers.insert(X_TRACE_ID.clone(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_hop_by_hop_removes_standard_and_connection_named_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret-hop"),
        );
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert(header::TE, HeaderValue::from_static("trailers"));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key(header::ACCEPT));
    }
}
