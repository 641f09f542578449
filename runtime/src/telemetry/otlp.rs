//! Span export over OTLP/HTTP (protobuf), switched on by the standard environment variables.
//!
//! With neither `OTEL_EXPORTER_OTLP_ENDPOINT` nor `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set,
//! nothing here runs: no exporter thread, no OpenTelemetry layer, no span bookkeeping. When one
//! is set, spans go through the SDK's batch processor (its own thread; `OTEL_BSP_*` tune it) to
//! the collector. The provider is kept for the process so [`flush`] can push out what is
//! buffered when the process stops (see [`crate::shutdown`]).

use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    Resource,
    trace::{SdkTracerProvider, Tracer},
};

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// The variables that switch export on; the exporter itself reads them for the URL.
const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// Builds the exporter and provider when an endpoint is configured, and returns the tracer the
/// tracing layer records into. `None` when export is off or could not be set up (said on stderr:
/// the subscriber that would log it does not exist yet).
pub(crate) fn install(service: &str) -> Option<Tracer> {
    if let Some(provider) = PROVIDER.get() {
        return Some(provider.tracer(service.to_string()));
    }
    let configured = ENDPOINT_VARS
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()));
    if !configured {
        return None;
    }
    let exporter = match SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
    {
        Ok(exporter) => exporter,
        Err(error) => {
            eprintln!("{service}: OTLP span export disabled: {error}");
            return None;
        }
    };
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_string())
                .build(),
        )
        .build();
    let tracer = provider.tracer(service.to_string());
    // A concurrent first call may have won the race; its provider is the one kept and flushed.
    let _ = PROVIDER.set(provider);
    Some(tracer)
}

/// Which spans are exported: `AGORA_TRACE_FILTER` (an `EnvFilter` directive), default `info`.
pub(crate) fn filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("AGORA_TRACE_FILTER")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

/// Whether spans are being exported.
pub fn enabled() -> bool {
    PROVIDER.get().is_some()
}

/// Exports every span finished so far, waiting for the collector's answer (bounded by the
/// exporter's timeout). A no-op when export is off.
pub fn flush() {
    if let Some(provider) = PROVIDER.get()
        && let Err(error) = provider.force_flush()
    {
        tracing::warn!(error = %error, "flushing spans to the OTLP collector failed");
    }
}
