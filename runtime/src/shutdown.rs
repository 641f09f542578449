//! One shutdown signal for the whole process.
//!
//! SIGINT and SIGTERM cancel a single token; axum's graceful shutdown and every consumer loop
//! watch it, finish the batch in hand, commit, and return. `main` then exits.
//!
//! When the last handle of a signal goes away (the end of `main`, after every loop has drained)
//! the spans still buffered for the OTLP collector are flushed, so the last batches' traces are
//! not lost with the process.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// A cloneable handle on the process-wide shutdown signal.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
    _flush: Arc<FlushSpans>,
}

/// Flushes exported spans when dropped; shared by every handle of one signal.
#[derive(Debug, Default)]
struct FlushSpans;

impl Drop for FlushSpans {
    fn drop(&mut self) {
        crate::telemetry::otlp::flush();
    }
}

impl Shutdown {
    /// A signal not yet triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Triggers shutdown on SIGINT or SIGTERM (spawns a task).
    pub fn on_signals(self) -> Self {
        let handle = self.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received, draining");
            handle.trigger();
        });
        self
    }

    /// Asks every loop to stop.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Whether shutdown has been asked for.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once shutdown has been asked for.
    pub async fn wait(&self) {
        self.token.cancelled().await;
    }

    /// A child handle: triggering it stops only the child; the parent stops both.
    pub fn child(&self) -> Self {
        Self {
            token: self.token.child_token(),
            _flush: Arc::clone(&self._flush),
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => {
                // Could not install handlers: fall back to Ctrl-C only.
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
