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
pub fn init(log: &LogSettings, service: &str) {
    PROVIDER.get_or_init(|| {
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
        let provider = otlp_provider(service);
        let otel = provider
            .as_ref()
            .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service.to_owned())));
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(fmt)
            .with(otel)
            .try_init();
        provider
    });
}

fn otlp_provider(service: &str) -> Option<SdkTracerProvider> {
    std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT")?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build();
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

/// Flushes pending spans; call before the process exits.
pub fn shutdown() {
    if let Some(Some(p)) = PROVIDER.get() {
        let _ = p.shutdown();
    }
}

/// Makes `span` a child of the caller's span in exported traces.
pub fn set_parent(span: &tracing::Span, trace: &TraceContext) {
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
