//! Structured logging setup shared by every binary.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global tracing subscriber.
///
/// Logs go to stderr so commands that print results (`mint-token`) keep stdout clean.
/// `RUST_LOG` filters (default `info`); `AGORA_LOG_FORMAT=json` switches to JSON lines for log
/// shippers. Calling it twice is harmless (the second call is ignored), which keeps tests simple.
pub fn init(service: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = crate::config::env_string("AGORA_LOG_FORMAT", "text") == "json";
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(fmt::layer().json().with_current_span(true))
            .try_init()
    } else {
        registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(std::io::stderr),
            )
            .try_init()
    };
    if result.is_ok() {
        tracing::info!(service, "telemetry initialised");
    }
}
