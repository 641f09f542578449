//! Structured logging and distributed tracing shared by every binary.
//!
//! # Layout
//! - this module: the global subscriber (text or JSON log lines, plus the OpenTelemetry layer).
//! - [`otlp`]: the OTLP span exporter, on only when an endpoint is configured.

pub mod otlp;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global tracing subscriber.
///
/// Logs go to stderr so commands that print results (`mint-token`) keep stdout clean.
/// `RUST_LOG` filters (default `info`); `AGORA_LOG_FORMAT=json` switches to JSON lines for log
/// shippers, each line carrying the fields of the spans it was written in (so a line written
/// while handling a command or an event carries its `correlation_id` and `causation_id`).
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) switches on span
/// export over OTLP/HTTP (spans at `AGORA_TRACE_FILTER`, default `info`, whatever `RUST_LOG`
/// says); unset, no OpenTelemetry layer is installed at all.
/// Calling it twice is harmless (the second call is ignored), which keeps tests simple.
pub fn init(service: &str) {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = crate::config::env_string("AGORA_LOG_FORMAT", "text") == "json";
    // Each layer has its own filter: how much is logged (`RUST_LOG`) does not decide which
    // spans are exported (`AGORA_TRACE_FILTER`, default `info`).
    let spans = otlp::install(service).map(|tracer| {
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(otlp::filter())
    });
    let registry = tracing_subscriber::registry().with(spans);
    let result = if json {
        registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(std::io::stderr)
                    .with_filter(filter()),
            )
            .try_init()
    } else {
        registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(std::io::stderr)
                    .with_filter(filter()),
            )
            .try_init()
    };
    if result.is_ok() {
        tracing::info!(service, otlp = otlp::enabled(), "telemetry initialised");
    }
}
