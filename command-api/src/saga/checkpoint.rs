//! The saga's positions in the log, in Postgres (`saga_checkpoints`).
//!
//! A position is stored only after every command the saga derived from the records before it
//! was acknowledged by the broker, so a crash can repeat commands but never skip one. Positions
//! of another log epoch (a restored or fresh broker) are ignored: they point into another log.

use std::collections::HashMap;

use runtime::log::Position;
use sqlx::PgPool;
use uuid::Uuid;

/// The stored positions for `log_epoch`, by partition.
pub async fn load(pool: &PgPool, log_epoch: Uuid) -> Result<HashMap<i32, Position>, sqlx::Error> {
    let rows: Vec<(i32, i64, Option<i64>)> = sqlx::query_as(
        "SELECT partition, next_offset, owner_epoch FROM saga_checkpoints WHERE log_epoch = $1",
    )
    .bind(log_epoch)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(partition, next_offset, epoch)| (partition, Position { next_offset, epoch }))
        .collect())
}

/// Stores `positions` (one statement for all partitions). Positions never move backwards:
/// a stale writer cannot undo a newer checkpoint.
pub async fn store(
    pool: &PgPool,
    log_epoch: Uuid,
    positions: &[(i32, Position)],
) -> Result<(), sqlx::Error> {
    if positions.is_empty() {
        return Ok(());
    }
    let partitions: Vec<i32> = positions.iter().map(|(p, _)| *p).collect();
    let offsets: Vec<i64> = positions.iter().map(|(_, pos)| pos.next_offset).collect();
    let epochs: Vec<Option<i64>> = positions.iter().map(|(_, pos)| pos.epoch).collect();
    sqlx::query(
        "INSERT INTO saga_checkpoints (partition, next_offset, owner_epoch, log_epoch)
         SELECT * FROM UNNEST($1::int[], $2::bigint[], $3::bigint[]) AS t(p, o, e), (SELECT $4::uuid) AS l
         ON CONFLICT (partition) DO UPDATE
            SET next_offset = EXCLUDED.next_offset,
                owner_epoch = EXCLUDED.owner_epoch,
                log_epoch = EXCLUDED.log_epoch,
                updated_at = now()
          WHERE saga_checkpoints.log_epoch <> EXCLUDED.log_epoch
             OR saga_checkpoints.next_offset <= EXCLUDED.next_offset",
    )
    .bind(&partitions)
    .bind(&offsets)
    .bind(&epochs)
    .bind(log_epoch)
    .execute(pool)
    .await?;
    Ok(())
}
