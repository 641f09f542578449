//! Postgres checkpoints: one row per projection and partition, moved in the same transaction as
//! the projection's writes and only from the offset the writer started from.
//!
//! The conditional update is the fence: a projector that stalled while another one carried the
//! partition further finds `next_offset` changed, updates nothing, and rolls its batch back, so
//! no batch is ever applied twice.

use runtime::log::PartitionStart;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{error::ProjectorError, runner::Advance};

/// Creates missing checkpoints (at offset 0) for `partitions` partitions of `projection`.
pub async fn ensure(
    pool: &PgPool,
    projection: &str,
    partitions: i32,
    log_epoch: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (projection, partition, next_offset, owner_epoch, log_epoch)
         SELECT $1, p, 0, NULL, $3 FROM generate_series(0, $2 - 1) AS p
         ON CONFLICT (projection, partition) DO NOTHING",
    )
    .bind(projection)
    .bind(partitions)
    .bind(log_epoch)
    .execute(pool)
    .await?;
    Ok(())
}

/// The stored positions of `projection`, one per partition below `partitions`.
pub async fn load(
    pool: &PgPool,
    projection: &str,
    partitions: i32,
    log_epoch: Uuid,
) -> Result<Vec<PartitionStart>, ProjectorError> {
    let rows: Vec<(i32, i64, Option<i64>, Uuid)> = sqlx::query_as(
        "SELECT partition, next_offset, owner_epoch, log_epoch FROM projection_checkpoints
         WHERE projection = $1 AND partition < $2 ORDER BY partition",
    )
    .bind(projection)
    .bind(partitions)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(partition, next_offset, epoch, found)| {
            if found != log_epoch {
                return Err(ProjectorError::ForeignCheckpoint {
                    projection: projection.to_string(),
                    found,
                    current: log_epoch,
                });
            }
            Ok(PartitionStart {
                partition,
                next_offset,
                epoch,
            })
        })
        .collect()
}

/// Moves the checkpoints of `projection` by `advances`, each only if it still stands where the
/// batch started. Returns false (having changed nothing visible once the caller rolls back)
/// when any of them had moved.
pub async fn advance(
    conn: &mut PgConnection,
    projection: &str,
    log_epoch: Uuid,
    advances: &[Advance],
) -> Result<bool, sqlx::Error> {
    let partitions: Vec<i32> = advances.iter().map(|a| a.partition).collect();
    let expected: Vec<i64> = advances.iter().map(|a| a.expected).collect();
    let next: Vec<i64> = advances.iter().map(|a| a.next_offset).collect();
    let epochs: Vec<Option<i64>> = advances.iter().map(|a| a.epoch).collect();
    // Lock in partition order first: two projectors updating overlapping partitions would
    // otherwise lock rows in whatever order the join yields, and could deadlock.
    sqlx::query(
        "SELECT partition FROM projection_checkpoints
         WHERE projection = $1 AND partition = ANY($2) ORDER BY partition FOR UPDATE",
    )
    .bind(projection)
    .bind(&partitions)
    .fetch_all(&mut *conn)
    .await?;
    let updated = sqlx::query(
        "UPDATE projection_checkpoints AS c
         SET next_offset = a.next_offset, owner_epoch = a.epoch, updated_at = now()
         FROM UNNEST($3::int[], $4::bigint[], $5::bigint[], $6::bigint[])
              AS a(partition, expected, next_offset, epoch)
         WHERE c.projection = $1 AND c.log_epoch = $2
           AND c.partition = a.partition AND c.next_offset = a.expected",
    )
    .bind(projection)
    .bind(log_epoch)
    .bind(&partitions)
    .bind(&expected)
    .bind(&next)
    .bind(&epochs)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == advances.len() as u64)
}

/// Every stored `next_offset` of `projection`, by partition.
pub async fn offsets(
    conn: &mut PgConnection,
    projection: &str,
) -> Result<Vec<(i32, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT partition, next_offset FROM projection_checkpoints
         WHERE projection = $1 ORDER BY partition",
    )
    .bind(projection)
    .fetch_all(conn)
    .await
}
