//! # runtime
//!
//! Runtime plumbing shared by every service: kept boring on purpose.
//!
//! # Layout
//! - [`config`]: environment settings and topic names.
//! - [`telemetry`]: tracing subscriber setup and OTLP span export.
//! - [`trace_context`]: W3C `traceparent` carried across Kafka hops.
//! - [`shutdown`]: the one shutdown signal every loop watches.
//! - [`kafka`]: client configs, metadata look-ups and the stream partitioner.
//! - [`kafka_stats`]: librdkafka statistics as Prometheus metrics.
//! - [`topics`]: topic creation and the log epoch.
//! - [`log`]: the log rules and the shared reader of `agora.events`.
//! - [`health`]: `/healthz`, and `/readyz` with its registry of readiness checks.
//! - [`metrics`]: the Prometheus recorder, `/metrics`, and HTTP request metrics.
//! - `testing` (feature `testing`): per-test namespaces and child processes.

pub mod config;
pub mod health;
pub mod kafka;
pub mod kafka_stats;
pub mod log;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod topics;
pub mod trace_context;
