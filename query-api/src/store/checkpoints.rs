//! Positions of the projections (`projection_checkpoints`), for read-your-writes.

use uuid::Uuid;

use super::Store;
use crate::error::QueryError;

/// Where one projection stands on one events partition.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckpointPosition {
    /// Projection name, e.g. `catalog`.
    pub projection: String,
    /// Events partition.
    pub partition: i32,
    /// Next offset the projection will read: everything below it is visible.
    pub next_offset: i64,
    /// The log the position belongs to.
    pub log_epoch: Uuid,
}

impl Store {
    /// Checkpoints of `projections` on `partitions` (one indexed look-up on the primary key).
    pub async fn checkpoints_at(
        &self,
        projections: &[&str],
        partitions: &[i32],
    ) -> Result<Vec<CheckpointPosition>, QueryError> {
        let rows = sqlx::query_as::<_, CheckpointPosition>(
            "SELECT projection, partition, next_offset, log_epoch FROM projection_checkpoints
             WHERE projection = ANY($1) AND partition = ANY($2)",
        )
        .bind(projections)
        .bind(partitions)
        .fetch_all(self.counted())
        .await?;
        Ok(rows)
    }
}

impl Store {
    /// The data version of `projections` (see [`crate::response_cache`]): their checkpoint rows
    /// (offset, log epoch, and `xmin`, which every update of a row changes), the generations of
    /// their rebuild units, and the dead letters re-driven into them, as one string that
    /// changes whenever their read models may have.
    pub async fn data_version(&self, projections: &[&str]) -> Result<String, QueryError> {
        let version: String = sqlx::query_scalar(
            "SELECT concat_ws('|',
                 (SELECT string_agg(concat_ws('/', projection, partition, next_offset, log_epoch,
                                              xmin), ',' ORDER BY projection, partition)
                    FROM projection_checkpoints WHERE projection = ANY($1)),
                 (SELECT string_agg(concat_ws('/', unit, generation), ',' ORDER BY unit)
                    FROM projection_versions WHERE unit = ANY($1)),
                 (SELECT count(*) FROM dead_letter_redrives WHERE projection = ANY($1)))",
        )
        .bind(projections)
        .fetch_one(self.counted())
        .await?;
        Ok(version)
    }
}
