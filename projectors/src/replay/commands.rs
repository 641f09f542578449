//! `rebuild`, `verify` and `rebuild --in-place`: the flows around a build.

use std::time::{Duration, Instant};

use runtime::shutdown::Shutdown;

use crate::migrate::quote;

use super::{
    build::{Build, Positions, distance},
    progress::Progress,
    session::{ReplayError, Session},
    switch::{self, Finish, Mode},
    units::{Unit, run_member},
    versions,
};

/// Catch-up rounds before the final, locked step: each round reads what the log gained while
/// the previous one ran, so the gap shrinks geometrically unless writes outpace the rebuild.
pub(super) const MAX_CATCH_UP_ROUNDS: usize = 8;
/// A gap small enough to close while holding the live projector (records).
pub(super) const LOCKED_GAP: i64 = 5_000;

/// What a rebuild or verify did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The unit.
    pub unit: &'static Unit,
    /// Records the build read.
    pub records: i64,
    /// Time from start to the end of the final step.
    pub elapsed: Duration,
    /// The final step's findings.
    pub finish: Finish,
}

impl Report {
    /// Records per second over the whole run.
    pub fn rate(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(0.001)
    }
}

/// Builds `unit` from offset 0 beside the live version, catches up, and either switches
/// readers to it (`Mode::Switch`) or only compares (`Mode::Verify`). The build's schema is
/// dropped in every case but a switch, which moved its tables out of it first.
pub async fn build_and_finish(
    session: &Session,
    unit: &'static Unit,
    mode: Mode,
    shutdown: &Shutdown,
) -> Result<Report, ReplayError> {
    let _lock = session.lock_unit(unit.name).await?;
    let started = Instant::now();
    let purpose = match mode {
        Mode::Verify => "verify",
        Mode::Switch { .. } => "build",
    };
    let build = Build::create(&session.config, unit, session.log_epoch, purpose).await?;
    tracing::info!(unit = unit.name, schema = %build.schema, "building from offset 0");
    let result = async {
        catch_up(session, &build, shutdown).await?;
        switch::finish(session, &build, mode, shutdown).await
    }
    .await;
    let records = distance(&Positions::new(), &build.positions().await?);
    build.drop(&session.live).await?;
    Ok(Report {
        unit,
        records,
        elapsed: started.elapsed(),
        finish: result?,
    })
}

/// Runs the build towards the live positions until the remaining gap is small.
async fn catch_up(
    session: &Session,
    build: &Build,
    shutdown: &Shutdown,
) -> Result<(), ReplayError> {
    let mut targets = session.live_positions(build.unit).await?;
    let progress = Progress::start(
        build.unit.name.to_string(),
        build.pool.clone(),
        build.unit.members,
        distance(&Positions::new(), &targets),
    );
    let result = async {
        for _round in 0..MAX_CATCH_UP_ROUNDS {
            build.run_to(&session.base, &targets, shutdown).await?;
            if shutdown.is_triggered() {
                return Err(ReplayError::Interrupted);
            }
            targets = session.live_positions(build.unit).await?;
            progress.set_total(distance(&Positions::new(), &targets));
            if distance(&build.positions().await?, &targets) <= LOCKED_GAP {
                break;
            }
        }
        Ok(())
    }
    .await;
    progress.finish();
    result
}

/// Empties the unit's live tables and rewinds its checkpoints in one transaction, then runs
/// the unit here up to the log's current end (a live projector, if one runs, simply finds its
/// checkpoint moved and joins in; the conditional checkpoints keep the two from applying a
/// batch twice). For development: readers see empty tables filling up.
pub async fn rebuild_in_place(
    session: &Session,
    unit: &'static Unit,
    shutdown: &Shutdown,
) -> Result<i64, ReplayError> {
    let _lock = session.lock_unit(unit.name).await?;
    let mut tx = session.live.begin().await?;
    sqlx::query(
        "SELECT 1 FROM projection_checkpoints WHERE projection = ANY($1)
         ORDER BY projection, partition FOR UPDATE",
    )
    .bind(unit.members)
    .fetch_all(&mut *tx)
    .await?;
    let tables: Vec<String> = unit.tables.iter().map(|t| quote(t)).collect();
    sqlx::query(&format!("TRUNCATE {}", tables.join(", ")))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE projection_checkpoints SET next_offset = 0, owner_epoch = NULL, updated_at = now()
         WHERE projection = ANY($1)",
    )
    .bind(unit.members)
    .execute(&mut *tx)
    .await?;
    let live = versions::live(&mut tx, unit.name).await?;
    versions::record(&mut tx, unit.name, live.generation + 1, unit.code_version).await?;
    tx.commit().await?;

    let head = super::lag::log_end(
        &session.config,
        &session.base.topic,
        session.base.partitions,
    )
    .await?;
    let targets: Positions = unit
        .members
        .iter()
        .map(|member| (member.to_string(), head.clone()))
        .collect();
    let progress = Progress::start(
        unit.name.to_string(),
        session.live.clone(),
        unit.members,
        distance(&Positions::new(), &targets),
    );
    let runs = unit.members.iter().filter_map(|member| {
        let context = crate::runner::RunContext {
            stop_at: Some(head.iter().map(|(p, o)| (*p, *o)).collect()),
            dlq: session.base.dlq.clone(),
            ..session.base.clone()
        };
        run_member(
            member,
            session.live.clone(),
            session.log_epoch,
            context,
            shutdown.clone(),
        )
    });
    let result = futures::future::try_join_all(runs).await;
    progress.finish();
    result?;
    Ok(distance(&Positions::new(), &targets))
}
