//! Logging and tracing: JSON (or pretty) logs with the request's IDs, and OpenTelemetry
//! export over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

use std::sync::OnceLock;

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState, TracerProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::settings::LogSettings;
use crate::trace::TraceContext;

static PROVIDER: OnceLock<Option<SdkTracerProvider>> = OnceLock::new();

/// Installs the process-wide subscriber once; later calls (tests, `cid up`) are no-ops.
/// Spans are exported when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
pub fn init(log: &LogSettings, service: &str) {
    install(log, service, None);
}

/// [`init`] exporting spans to the OTLP/HTTP traces URL `endpoint` (e.g.
/// `http://127.0.0.1:4318/v1/traces`) whatever the environment says; false when the subscriber
/// was already installed, so this call changed nothing.
pub fn init_exporting_to(log: &LogSettings, service: &str, endpoint: &str) -> bool {
    install(log, service, Some(endpoint))
}

fn install(log: &LogSettings, service: &str, endpoint: Option<&str>) -> bool {
    let mut installed = false;
    PROVIDER.get_or_init(|| {
        installed = true;
        let filter = EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(&log.level))
            .unwrap_or_else(|_| EnvFilter::new("info"));
        let fmt = if log.format == "json" {
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_target(false)
                .boxed()
        } else {
            // Colour codes only where a person reads them, not into a file or a collector.
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .boxed()
        };
        let provider = otlp_provider(service, endpoint);
        // The log level filters the logs only: request spans (info) are exported whatever
        // the logs show, so quiet logs do not mean missing traces.
        let otel = provider.as_ref().map(|p| {
            tracing_opentelemetry::layer()
                .with_tracer(p.tracer(service.to_owned()))
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
        });
        let _ = tracing_subscriber::registry()
            .with(fmt.with_filter(filter))
            .with(otel)
            .try_init();
        provider
    });
    installed
}

fn otlp_provider(service: &str, endpoint: Option<&str>) -> Option<SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig as _;
    if endpoint.is_none() {
        std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT")?;
    }
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http();
    if let Some(url) = endpoint {
        exporter = exporter.with_endpoint(url);
    }
    let exporter = exporter.build();
    match exporter {
        Ok(exporter) => Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(service.to_owned())
                        .build(),
                )
                .build(),
        ),
        Err(e) => {
            eprintln!("OTLP exporter not started: {e}");
            None
        }
    }
}

/// Whether spans are exported.
pub fn exporting() -> bool {
    matches!(PROVIDER.get(), Some(Some(_)))
}

/// Sends the spans ended so far now rather than at the next batch.
pub fn flush() {
    if let Some(Some(p)) = PROVIDER.get() {
        let _ = p.force_flush();
    }
}

/// Flushes pending spans; call before the process exits.
pub fn shutdown() {
    if let Some(Some(p)) = PROVIDER.get() {
        let _ = p.shutdown();
    }
}

/// Makes `span` this hop's exported span: a child of the caller's span (when the request
/// named one), whose IDs `trace` then carries, so that the `traceparent` sent on to other
/// services (and kept with outbox messages) names a span that is exported. Without export,
/// `trace` keeps its own IDs.
pub fn adopt(span: &tracing::Span, trace: &mut TraceContext) {
    if !exporting() {
        return;
    }
    set_parent(span, trace);
    let cx = span.context();
    let exported = cx.span().span_context().clone();
    if exported.is_valid() {
        trace.trace_id = exported.trace_id().to_string();
        trace.span_id = exported.span_id().to_string();
    }
}

/// The `traceparent` of the current span when spans are exported: work this request leaves
/// for later (an outbox message) is sent with it and joins the request's trace.
pub fn current_traceparent() -> Option<String> {
    if !exporting() {
        return None;
    }
    let cx = tracing::Span::current().context();
    let sc = cx.span().span_context().clone();
    sc.is_valid()
        .then(|| format!("00-{}-{}-01", sc.trace_id(), sc.span_id()))
}

/// Makes `span` a child of the caller's span in exported traces.
fn set_parent(span: &tracing::Span, trace: &TraceContext) {
    if !matches!(PROVIDER.get(), Some(Some(_))) {
        return;
    }
    let Some(parent) = &trace.parent_span_id else {
        return;
    };
    let (Ok(trace_id), Ok(span_id)) =
        (TraceId::from_hex(&trace.trace_id), SpanId::from_hex(parent))
    else {
        return;
    };
    let flags = if trace.sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let remote = SpanContext::new(trace_id, span_id, flags, true, TraceState::default());
    let cx = opentelemetry::Context::new().with_remote_span_context(remote);
    let _ = span.set_parent(cx);
}

use opentelemetry::trace::TraceContextExt as _;
