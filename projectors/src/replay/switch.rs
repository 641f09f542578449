//! The last step of a rebuild or verify, taken under the live checkpoints' row locks.
//!
//! Locking the unit's live checkpoint rows (`FOR UPDATE`) holds the live projector at its
//! current position: its next batch waits on those rows. Under the lock the build reads the
//! last few records up to exactly the live positions, both versions are fingerprinted (they
//! describe the same log prefix now), and a rebuild moves tables between schemas in the same
//! transaction: the live tables to a retired schema, the built ones into the live schema.
//! Readers resolve table names through their search path at each statement, so the next
//! statement after the commit reads the new version; nothing ever sees a half-switched unit.
//! The live projector then finds its checkpoint where it left it and carries on writing into
//! the new tables, which stand at exactly that position.

use runtime::shutdown::Shutdown;
use uuid::Uuid;

use crate::migrate::quote;

use super::{
    build::{Build, collect_positions, covers, drop_schema},
    fingerprint::{self, TableCheck},
    session::{ReplayError, Session},
    versions::{self, LiveVersion},
};

/// How long the final step waits for a lock (checkpoint rows, tables) before giving up and
/// trying again: readers queue behind a waiting `ALTER TABLE`, so it must not wait long.
const LOCK_TIMEOUT: &str = "5s";

/// What the final step is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Compare only.
    Verify,
    /// Compare, then switch readers to the build.
    Switch {
        /// Switch even when comparable versions differ.
        accept_differences: bool,
    },
}

/// What the final step found and did.
#[derive(Debug, Clone)]
pub struct Finish {
    /// Each table of the unit, live against rebuilt, at the same log positions.
    pub checks: Vec<TableCheck>,
    /// The version that was live when the step began.
    pub live: LiveVersion,
    /// Whether both versions come from the same code version, so they must be identical.
    pub comparable: bool,
    /// The generation readers now see, when the step switched.
    pub switched_to: Option<i32>,
}

impl Finish {
    /// Whether every table matched.
    pub fn matches(&self) -> bool {
        self.checks.iter().all(TableCheck::matches)
    }

    /// Whether `mode` switches readers given these findings: a rebuild switches unless the
    /// same code version produced different rows and the operator did not accept that.
    pub fn should_switch(&self, mode: Mode) -> bool {
        match mode {
            Mode::Verify => false,
            Mode::Switch { accept_differences } => {
                self.matches() || !self.comparable || accept_differences
            }
        }
    }
}

/// Takes the final step, retrying a few times when a lock could not be had in time.
pub async fn finish(
    session: &Session,
    build: &Build,
    mode: Mode,
    shutdown: &Shutdown,
) -> Result<Finish, ReplayError> {
    let mut attempt = 1;
    loop {
        match finish_once(session, build, mode, shutdown).await {
            Err(ReplayError::Projector(crate::error::ProjectorError::Postgres(
                sqlx::Error::Database(error),
            ))) if error.code().as_deref() == Some("55P03") && attempt < 5 => {
                tracing::warn!(attempt, "lock not granted in {LOCK_TIMEOUT}; trying again");
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn finish_once(
    session: &Session,
    build: &Build,
    mode: Mode,
    shutdown: &Shutdown,
) -> Result<Finish, ReplayError> {
    let unit = build.unit;
    let mut tx = session.live.begin().await?;
    sqlx::query(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        .execute(&mut *tx)
        .await?;
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT projection, partition, next_offset FROM projection_checkpoints
         WHERE projection = ANY($1) ORDER BY projection, partition FOR UPDATE",
    )
    .bind(unit.members)
    .fetch_all(&mut *tx)
    .await?;
    let targets = collect_positions(rows);
    build.run_to(&session.base, &targets, shutdown).await?;
    if !covers(&build.positions().await?, &targets) {
        return Err(ReplayError::Interrupted);
    }
    let live = versions::live(&mut tx, unit.name).await?;
    let checks = fingerprint::compare(
        &mut tx,
        unit.tables,
        &session.config.pg_schema,
        &build.schema,
    )
    .await?;
    let comparable = live.code_version == unit.code_version;
    let mut finish = Finish {
        checks,
        live,
        comparable,
        switched_to: None,
    };
    if !finish.should_switch(mode) {
        tx.rollback().await?;
        return Ok(finish);
    }
    let retired = format!(
        "agora_retired_{}_{}",
        unit.name,
        &Uuid::new_v4().simple().to_string()[..10]
    );
    sqlx::query(&format!("CREATE SCHEMA {}", quote(&retired)))
        .execute(&mut *tx)
        .await?;
    let live_schema = quote(&session.config.pg_schema);
    for table in unit.tables {
        sqlx::query(&format!(
            "ALTER TABLE {live_schema}.{} SET SCHEMA {}",
            quote(table),
            quote(&retired)
        ))
        .execute(&mut *tx)
        .await?;
    }
    for table in unit.tables {
        sqlx::query(&format!(
            "ALTER TABLE {}.{} SET SCHEMA {live_schema}",
            quote(&build.schema),
            quote(table)
        ))
        .execute(&mut *tx)
        .await?;
    }
    let generation = live.generation + 1;
    versions::record(&mut tx, unit.name, generation, unit.code_version).await?;
    tx.commit().await?;
    finish.switched_to = Some(generation);
    tracing::info!(
        unit = unit.name,
        generation,
        "readers switched to the rebuilt version"
    );
    drop_schema(&session.live, &retired).await?;
    Ok(finish)
}
