//! Per-request context: request ID, language, trace context, error rendering, metrics and the
//! access log — one middleware so every response of every service looks the same.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use cid_common::{ErrorCode, Locale, Problem};
use tracing::Instrument;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::trace::{TraceContext, request_id};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// W3C Trace Context level 2: the trace and span this service answered in.
pub const TRACERESPONSE: HeaderName = HeaderName::from_static("traceresponse");

/// What the middleware learned about a request; handlers read it through extractors.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub locale: Locale,
    pub trace: TraceContext,
}

/// Static knobs of the middleware, kept in app data.
#[derive(Debug, Clone)]
pub struct ContextConfig {
    pub service: &'static str,
    pub default_locale: Locale,
    pub access_log: bool,
}

impl ContextConfig {
    pub fn from_settings(service: &'static str, settings: &crate::Settings) -> Self {
        Self {
            service,
            default_locale: settings.default_locale(),
            access_log: settings.log.access_log,
        }
    }
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<RequestContext>()
                .cloned()
                .ok_or_else(|| ApiError::internal("request context middleware missing")),
        )
    }
}

/// The middleware function; install with `actix_web::middleware::from_fn(context::layer)`.
pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let config = req
        .app_data::<web::Data<ContextConfig>>()
        .map(|c| c.get_ref().clone());
    let default_locale = config.as_ref().map_or(Locale::En, |c| c.default_locale);
    let headers = req.headers();
    let mut ctx = RequestContext {
        request_id: request_id(headers.get(&REQUEST_ID).map(|v| v.as_bytes())),
        locale: Locale::negotiate(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
            default_locale,
        ),
        trace: TraceContext::continue_from(headers.get(&TRACEPARENT).and_then(|v| v.to_str().ok())),
    };
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        service = config.as_ref().map_or("", |c| c.service),
        request_id = %ctx.request_id,
        trace_id = tracing::field::Empty,
        method = %method,
        path = %req.path(),
        otel.kind = "server",
    );
    // The exported span's IDs, when spans are exported: the logs name the same trace.
    crate::telemetry::adopt(&span, &mut ctx.trace);
    span.record("trace_id", ctx.trace.trace_id.as_str());
    req.extensions_mut().insert(ctx.clone());

    let refused = crate::target::check(req.path(), req.query_string());
    let outcome = match refused {
        Some(error) => {
            let response = actix_web::ResponseError::error_response(&error);
            Ok(req.into_response(response))
        }
        None => next
            .call(req)
            .instrument(span.clone())
            .await
            .map(ServiceResponse::map_into_boxed_body),
    };
    let res = match outcome {
        Ok(res) => res,
        Err(err) => {
            // Raised outside any handler (the request is gone): answer with the rendered
            // problem through actix's own error path.
            let api = err.as_error::<ApiError>().cloned().unwrap_or_else(|| {
                ApiError::new(code_for_status(err.as_response_error().status_code()))
            });
            let response = problem_response(&api, &ctx, None);
            return Err(
                actix_web::error::InternalError::from_response(err.to_string(), response).into(),
            );
        }
    };
    let mut res = render_problem(res, &ctx);
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        h.insert(REQUEST_ID, v);
    }
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(ctx.locale.as_str()),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Answers carry personal data (balances, profiles, tokens' subjects); no shared or
    // browser cache may keep them unless a handler says otherwise.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.trace.header()) {
        h.insert(TRACERESPONSE, v);
    }

    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(cfg) = &config {
        if let Some(metrics) = res.request().app_data::<web::Data<Metrics>>() {
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into());
            metrics.observe(method.as_str(), &route, status, elapsed);
        }
        if cfg.access_log {
            span.in_scope(|| {
                tracing::info!(
                    service = cfg.service,
                    status,
                    duration_ms = elapsed.as_secs_f64() * 1000.0,
                    "request served"
                )
            });
        }
    }
    Ok(res)
}

/// Rewrites every error response into problem+json: `ApiError`s with their own code, actix's
/// own 404/405/413/… with a code matching their status.
fn render_problem(res: ServiceResponse<BoxBody>, ctx: &RequestContext) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(Problem::CONTENT_TYPE.as_bytes()));
    if is_problem {
        return res;
    }
    let error = res
        .response()
        .extensions()
        .get::<ApiError>()
        .cloned()
        .or_else(|| {
            res.response()
                .error()
                .and_then(|e| e.as_error::<ApiError>().cloned())
        })
        .unwrap_or_else(|| ApiError::new(code_for_status(status)));
    let (req, old) = res.into_parts();
    let new = problem_response(&error, ctx, Some(&old));
    ServiceResponse::new(req, new)
}

/// The problem+json response for `error`, keeping the headers of `old` (e.g. replay marks).
fn problem_response(
    error: &ApiError,
    ctx: &RequestContext,
    old: Option<&HttpResponse>,
) -> HttpResponse {
    let mut builder = HttpResponse::build(error.status());
    for (name, value) in old.map(|o| o.headers().iter()).into_iter().flatten() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    if let Some(secs) = error.retry_after {
        builder.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    let problem = Problem::build(
        error.code,
        ctx.locale,
        &error.args,
        &error.fields,
        &ctx.request_id,
    );
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    builder.content_type(Problem::CONTENT_TYPE).body(body)
}

pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::DatabaseUnavailable,
        400..=499 => ErrorCode::ValidationFailed,
        _ => ErrorCode::InternalError,
    }
}
