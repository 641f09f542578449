//! # runtime
//!
//! Runtime plumbing shared by every service: kept boring on purpose.
//!
//! # Layout
//! - [`config`]: environment settings and topic names.
//! - [`telemetry`]: tracing subscriber setup.
//! - [`shutdown`]: the one shutdown signal every loop watches.
//! - [`kafka`]: client configs, metadata look-ups and the stream partitioner.
//! - [`topics`]: topic creation and the log epoch.
//! - [`log`]: the log rules and the shared reader of `agora.events`.
//! - [`health`]: `/healthz` and `/readyz` for workers.
//! - [`metrics`]: the Prometheus recorder, `/metrics`, and HTTP request metrics.
//! - `testing` (feature `testing`): per-test namespaces and child processes.

pub mod config;
pub mod health;
pub mod kafka;
pub mod log;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod topics;
