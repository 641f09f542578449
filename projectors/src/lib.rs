//! # projectors
//!
//! `agora-projector` builds Agora's read side from the events log: Postgres read models
//! (catalog, inventory) and ClickHouse facts (stock movements), each with checkpoints that make
//! every batch count exactly once.
//!
//! Every projection reads the log through the shared [`runtime::log::LogReader`], so it counts
//! exactly the commits every other reader counts (zombie writes skipped), decodes events through
//! [`schemas::decode_event`] (old schema versions upcast), and applies batches of many commits
//! with set-based SQL.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`startup::Application`]: migrate, health server, one loop per projection.
//! - [`error`]: the projector's error type.
//! - [`lag_gauges`]: every projection's lag as Prometheus gauges.
//! - [`readiness`]: the `/readyz` checks (stores reachable, projections caught up).
//! - [`traced`]: trace spans around every projection's batches.
//! - [`migrate`]: database creation, migrations, and the reset on a new log epoch.
//! - [`runner`]: the batch loop shared by every projection, and the [`runner::Projection`] trait.
//! - [`membership`]: the consumer group that spreads partitions over projector replicas.
//! - [`read_model`]: Postgres projections: one transaction per batch with its checkpoint.
//! - [`checkpoint`]: Postgres checkpoints with conditional updates.
//! - [`analytics`]: ClickHouse client, DDL, positions.
//! - [`bench`]: `agora-replay-bench`: a generated log and the timed rebuild of every projection.
//! - [`decode`]: commits to domain events.
//! - [`dlq`]: the dead-letter topic.
//! - [`dead_letters`]: `agora-projector dlq list | redrive`: the operator's side of the DLQ.
//! - [`projections`]: catalog, inventory, stock movements.
//! - [`archive`]: the event archive (archiver projection) and `restore`.
//! - [`notifications`]: the e-mail reactor (outbox with its checkpoint) and its SMTP sender.
//! - [`mail_sink`]: `agora-mail-sink`, the local SMTP server that stores messages as files.
//! - [`replay`]: the replay CLI: list with lag, versioned rebuild with an atomic switch, verify.
//! - [`rebuild`]: rebuild from offset 0 into scratch stores and compare with the live ones.

pub mod analytics;
pub mod archive;
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod dead_letters;
pub mod decode;
pub mod dlq;
pub mod error;
pub mod lag_gauges;
pub mod mail_sink;
pub mod membership;
pub mod migrate;
pub mod notifications;
pub mod projections;
pub mod read_model;
pub mod readiness;
pub mod rebuild;
pub mod replay;
pub mod runner;
pub mod startup;
pub mod traced;
