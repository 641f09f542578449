//! What every replay command needs: the live read models, the log they were built from, and
//! a run context for builds.

use std::sync::Arc;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    config::{BatchConfig, Config},
    dlq::DeadLetters,
    error::ProjectorError,
    migrate,
    runner::RunContext,
    startup,
};

use super::{
    build::{Positions, collect_positions},
    units::Unit,
};

/// A failure of a replay command.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The stores or the broker failed.
    #[error(transparent)]
    Projector(#[from] ProjectorError),
    /// The name selects no projection.
    #[error(transparent)]
    Unknown(#[from] super::units::UnknownProjection),
    /// Another rebuild of the same unit holds its lock.
    #[error("another rebuild or verify of {0} is running")]
    Busy(&'static str),
    /// Shutdown was requested before the build reached its target.
    #[error("interrupted before the build caught up; the live version is untouched")]
    Interrupted,
    /// The read models belong to another log than the broker's.
    #[error(
        "the read models were built from log epoch {stores}, the broker holds {broker}; run `agora-projector migrate` first"
    )]
    EpochMismatch {
        /// Epoch recorded with the read models.
        stores: Uuid,
        /// Epoch on the broker.
        broker: Uuid,
    },
}

impl From<sqlx::Error> for ReplayError {
    fn from(error: sqlx::Error) -> Self {
        Self::Projector(error.into())
    }
}

/// Records per batch when rebuilding: bigger than live batches, since nobody waits for the
/// first rows of a version nobody reads yet.
const REBUILD_BATCH_MIN: usize = 5000;

/// An open replay session.
pub struct Session {
    /// Settings.
    pub config: Config,
    /// The live read models.
    pub live: PgPool,
    /// The log they belong to.
    pub log_epoch: Uuid,
    /// How builds read the log: dead letters discarded (the live run already reported them).
    pub base: RunContext,
}

impl Session {
    /// Connects to the live read models and checks they belong to the broker's log.
    pub async fn open(config: Config) -> Result<Self, ReplayError> {
        let live = migrate::connect(&config.database_url, &config.pg_schema).await?;
        migrate::migrate_schema(&live, &config.pg_schema).await?;
        let broker = runtime::topics::read_log_epoch(&config.kafka)
            .await
            .map_err(ProjectorError::from)?
            .ok_or(ProjectorError::NoLogEpoch)?
            .log_epoch;
        let stores: Option<String> =
            sqlx::query_scalar("SELECT value FROM agora_meta WHERE key = 'log_epoch'")
                .fetch_optional(&live)
                .await?;
        let stores = stores.and_then(|value| Uuid::parse_str(&value).ok());
        if stores != Some(broker) {
            return Err(ReplayError::EpochMismatch {
                stores: stores.unwrap_or_else(Uuid::nil),
                broker,
            });
        }
        let topic = config.kafka.topics().events;
        let partitions = startup::partition_count(&config, &topic).await?;
        let base = RunContext {
            kafka: config.kafka.clone(),
            topic,
            partitions,
            batch: BatchConfig {
                max_records: config.batch.max_records.max(REBUILD_BATCH_MIN),
                ..config.batch
            },
            dlq: Arc::new(DeadLetters::discarding(&config.kafka)),
            stop_at: None,
            // A rebuild is no group member: it reads the whole log beside the live replicas.
            assignment: crate::membership::Assignment::All,
        };
        Ok(Self {
            config,
            live,
            log_epoch: broker,
            base,
        })
    }

    /// The live checkpoints of the unit's members.
    pub async fn live_positions(&self, unit: &Unit) -> Result<Positions, ReplayError> {
        let rows: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT projection, partition, next_offset FROM projection_checkpoints
             WHERE projection = ANY($1) ORDER BY projection, partition",
        )
        .bind(unit.members)
        .fetch_all(&self.live)
        .await?;
        Ok(collect_positions(rows))
    }

    /// Takes the unit's rebuild lock for as long as the returned connection lives, or says
    /// another rebuild has it.
    pub async fn lock_unit(&self, unit: &'static str) -> Result<UnitLock, ReplayError> {
        let mut conn = self.live.acquire().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(format!("agora-rebuild-{unit}"))
            .fetch_one(&mut *conn)
            .await?;
        if !locked {
            return Err(ReplayError::Busy(unit));
        }
        Ok(UnitLock {
            _conn: conn.detach(),
        })
    }
}

/// Holds a unit's rebuild lock: a session-level advisory lock on a connection detached from
/// the pool, so dropping it closes the session (releasing the lock) instead of handing a
/// locked session to someone else.
pub struct UnitLock {
    _conn: PgConnection,
}
