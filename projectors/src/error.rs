//! The projector's error type: what can go wrong between the log and the stores.
//!
//! Single records never surface here: a record that cannot be decoded or applied goes to the
//! dead-letter topic and the projection moves on. These are failures of the machinery itself,
//! which the run loop logs and retries from the last checkpoint.

use runtime::{config::ConfigError, log::LogReadError, topics::TopicsError};
use uuid::Uuid;

/// A failure of the projector (not of a single record).
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// A setting could not be parsed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Postgres failed or refused.
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// A Postgres migration failed.
    #[error("postgres migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// ClickHouse failed or refused.
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    /// The broker failed or refused.
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The shared log reader failed.
    #[error("reading the log: {0}")]
    Log(#[from] LogReadError),
    /// Topic metadata or the log epoch could not be read.
    #[error("topics: {0}")]
    Topics(#[from] TopicsError),
    /// The broker holds no log epoch: its topics were never bootstrapped.
    #[error("the broker holds no log epoch; run `agora-admin topics` first")]
    NoLogEpoch,
    /// Checkpoints belong to another log than the broker's; `migrate` must reset them first.
    #[error("checkpoints of {projection} belong to log epoch {found}, the broker holds {current}")]
    ForeignCheckpoint {
        /// Projection name.
        projection: String,
        /// Epoch found in the checkpoint.
        found: Uuid,
        /// Epoch on the broker.
        current: Uuid,
    },
    /// A URL or name in the configuration is unusable.
    #[error("invalid setting: {0}")]
    Invalid(String),
    /// A spawned task panicked or was cancelled.
    #[error("task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The health server could not bind or serve.
    #[error("health server: {0}")]
    Io(#[from] std::io::Error),
}

impl ProjectorError {
    /// Whether retrying later may succeed (stores or broker briefly away), as opposed to a
    /// problem an operator has to fix.
    pub fn is_transient(&self) -> bool {
        !matches!(
            self,
            ProjectorError::Config(_)
                | ProjectorError::Migrate(_)
                | ProjectorError::NoLogEpoch
                | ProjectorError::ForeignCheckpoint { .. }
                | ProjectorError::Invalid(_)
        )
    }
}
