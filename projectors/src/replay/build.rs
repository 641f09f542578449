//! A version under construction: the unit's projections run from offset 0 into a schema of
//! their own, beside the live version, up to positions the caller chooses.

use std::collections::{BTreeMap, HashMap};

use runtime::shutdown::Shutdown;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    config::Config,
    error::ProjectorError,
    migrate::{self, quote},
    runner::RunContext,
};

use super::units::{Unit, run_member};

/// Positions by projection, then partition: the next offset to read.
pub type Positions = BTreeMap<String, BTreeMap<i32, i64>>;

/// A schema holding a version of one unit that readers do not see (yet).
pub struct Build {
    /// The unit being built.
    pub unit: &'static Unit,
    /// Its schema.
    pub schema: String,
    /// Connections whose search path is that schema.
    pub pool: PgPool,
    log_epoch: Uuid,
}

impl Build {
    /// Creates a schema named `<purpose>_<unit>_<random>` with every read-model table, for the
    /// log `log_epoch`.
    ///
    /// The name does not include the live schema's: Postgres cuts identifiers at 63 bytes, and
    /// the random part already keeps concurrent builds apart.
    pub async fn create(
        config: &Config,
        unit: &'static Unit,
        log_epoch: Uuid,
        purpose: &str,
    ) -> Result<Self, ProjectorError> {
        let suffix = &Uuid::new_v4().simple().to_string()[..10];
        let schema = format!("agora_{purpose}_{}_{suffix}", unit.name);
        let pool = migrate::connect(&config.database_url, &schema).await?;
        migrate::migrate_schema(&pool, &schema).await?;
        sqlx::query("INSERT INTO agora_meta (key, value) VALUES ('log_epoch', $1)")
            .bind(log_epoch.to_string())
            .execute(&pool)
            .await?;
        Ok(Self {
            unit,
            schema,
            pool,
            log_epoch,
        })
    }

    /// Runs every member until it reached `targets` (members without targets stop at once).
    pub async fn run_to(
        &self,
        base: &RunContext,
        targets: &Positions,
        shutdown: &Shutdown,
    ) -> Result<(), ProjectorError> {
        let runs = self.unit.members.iter().filter_map(|member| {
            let stop_at: HashMap<i32, i64> = targets
                .get(*member)
                .map(|t| t.iter().map(|(p, o)| (*p, *o)).collect())
                .unwrap_or_default();
            let context = RunContext {
                stop_at: Some(stop_at),
                ..base.clone()
            };
            run_member(
                member,
                self.pool.clone(),
                self.log_epoch,
                context,
                shutdown.clone(),
            )
        });
        futures::future::try_join_all(runs).await?;
        Ok(())
    }

    /// Where each member of the build stands.
    pub async fn positions(&self) -> Result<Positions, ProjectorError> {
        positions_of(&self.pool, self.unit.members).await
    }

    /// Drops the schema and whatever is left in it.
    pub async fn drop(self, live: &PgPool) -> Result<(), ProjectorError> {
        self.pool.close().await;
        drop_schema(live, &self.schema).await
    }
}

/// The checkpoints of `members` in the schema `pool` points at.
pub async fn positions_of(pool: &PgPool, members: &[&str]) -> Result<Positions, ProjectorError> {
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT projection, partition, next_offset FROM projection_checkpoints
         WHERE projection = ANY($1) ORDER BY projection, partition",
    )
    .bind(members)
    .fetch_all(pool)
    .await?;
    Ok(collect_positions(rows))
}

/// Groups `(projection, partition, next_offset)` rows.
pub fn collect_positions(rows: Vec<(String, i32, i64)>) -> Positions {
    let mut positions = Positions::new();
    for (projection, partition, next_offset) in rows {
        positions
            .entry(projection)
            .or_default()
            .insert(partition, next_offset);
    }
    positions
}

/// Whether `reached` is at or past `targets` everywhere `targets` says something.
pub fn covers(reached: &Positions, targets: &Positions) -> bool {
    targets.iter().all(|(projection, partitions)| {
        partitions.iter().all(|(partition, target)| {
            reached
                .get(projection)
                .and_then(|r| r.get(partition))
                .is_some_and(|offset| offset >= target)
        })
    })
}

/// Records between `from` and `to`, summed over everything `to` names.
pub fn distance(from: &Positions, to: &Positions) -> i64 {
    to.iter()
        .flat_map(|(projection, partitions)| {
            partitions.iter().map(move |(partition, target)| {
                let start = from
                    .get(projection)
                    .and_then(|f| f.get(partition))
                    .copied()
                    .unwrap_or(0);
                (target - start).max(0)
            })
        })
        .sum()
}

/// `DROP SCHEMA … CASCADE`, run through `pool`.
pub async fn drop_schema(pool: &PgPool, schema: &str) -> Result<(), ProjectorError> {
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", quote(schema)))
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(rows: &[(&str, i32, i64)]) -> Positions {
        collect_positions(
            rows.iter()
                .map(|(p, partition, offset)| (p.to_string(), *partition, *offset))
                .collect(),
        )
    }

    #[test]
    fn a_build_covers_targets_only_when_every_partition_reached_them() {
        let targets = positions(&[("orders", 0, 10), ("orders", 1, 5), ("payments", 0, 3)]);
        let behind = positions(&[("orders", 0, 10), ("orders", 1, 4), ("payments", 0, 3)]);
        let there = positions(&[("orders", 0, 10), ("orders", 1, 5), ("payments", 0, 7)]);
        assert!(!covers(&behind, &targets));
        assert!(covers(&there, &targets));
        assert!(!covers(&Positions::new(), &targets));
        assert!(covers(&Positions::new(), &Positions::new()));
    }

    #[test]
    fn distance_counts_the_records_still_to_read() {
        let from = positions(&[("orders", 0, 4)]);
        let to = positions(&[("orders", 0, 10), ("orders", 1, 5)]);
        assert_eq!(distance(&from, &to), 11);
        assert_eq!(distance(&to, &from), 0);
    }
}
