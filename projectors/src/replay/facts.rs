//! Rebuilding ClickHouse fact tables beside the live ones and switching them by renames.
//!
//! The build runs the projection into a scratch database (every table and view, made by the
//! same DDL) up to the live positions, in catch-up rounds. The final step holds the
//! projection's switch lock exclusively (see [`super::guard`]): the batch in flight finishes,
//! the next waits. Under it the build reaches exactly the live position, both versions are
//! fingerprinted (`count()` and a sum of row hashes over the deduplicated rows), and one
//! `RENAME TABLE` moves the live tables to a retired database and the built ones in. The live
//! position rows stay where they are: the new tables stand at exactly that position. Views
//! (`sales_daily`, `funnel_daily`) name their tables and read the new ones from then on.

use std::{collections::HashMap, time::Instant};

use clickhouse::Client;
use runtime::shutdown::Shutdown;
use uuid::Uuid;

use crate::{
    analytics,
    error::ProjectorError,
    projections::{
        event_log::{self, EventLog},
        sales_facts::{self, SalesFacts},
        stock_movements::{self, StockMovements},
    },
    runner::{self, RunContext},
};

use super::{
    commands::{LOCKED_GAP, MAX_CATCH_UP_ROUNDS},
    fingerprint::{Fingerprint, TableCheck},
    guard::lock_name,
    progress::{DoneCounter, Progress},
    session::{ReplayError, Session},
    switch::{Finish, Mode},
    units::MemberRun,
    versions,
};

/// A ClickHouse projection and the tables it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsUnit {
    /// Projection name (positions, command line).
    pub name: &'static str,
    /// Tables it writes (views over them are not moved).
    pub tables: &'static [&'static str],
    /// Version of the projection code's output (see [`super::units::Unit::code_version`]).
    pub code_version: i32,
}

/// Every ClickHouse projection.
pub const FACT_UNITS: &[FactsUnit] = &[
    FactsUnit {
        name: stock_movements::NAME,
        tables: &["stock_movements", "sku_products"],
        code_version: 1,
    },
    FactsUnit {
        name: sales_facts::NAME,
        tables: &[
            "order_facts",
            "order_line_facts",
            "payment_facts",
            "cart_facts",
        ],
        code_version: 1,
    },
    FactsUnit {
        name: event_log::NAME,
        tables: &["events"],
        code_version: 1,
    },
];

/// The ClickHouse projection named `name`, if it is one.
pub fn facts_unit(name: &str) -> Option<&'static FactsUnit> {
    FACT_UNITS.iter().find(|unit| unit.name == name)
}

fn run_facts(
    unit: &FactsUnit,
    client: Client,
    log_epoch: Uuid,
    context: RunContext,
    shutdown: Shutdown,
) -> MemberRun {
    match unit.name {
        stock_movements::NAME => Box::pin(runner::run(
            StockMovements::new(client, log_epoch),
            context,
            shutdown,
        )),
        sales_facts::NAME => Box::pin(runner::run(
            SalesFacts::new(client, log_epoch),
            context,
            shutdown,
        )),
        _ => Box::pin(runner::run(
            EventLog::new(client, log_epoch),
            context,
            shutdown,
        )),
    }
}

/// What a facts rebuild or verify did.
#[derive(Debug, Clone)]
pub struct FactsReport {
    /// The projection.
    pub unit: &'static FactsUnit,
    /// Records the build read.
    pub records: i64,
    /// Wall time.
    pub elapsed: std::time::Duration,
    /// Findings of the final step.
    pub finish: Finish,
}

struct Scratch {
    database: String,
    client: Client,
}

/// Builds `unit` into a scratch database, catches up, and verifies or switches.
pub async fn build_and_finish(
    session: &Session,
    unit: &'static FactsUnit,
    mode: Mode,
    shutdown: &Shutdown,
) -> Result<FactsReport, ReplayError> {
    let _lock = session.lock_unit(unit.name).await?;
    let started = Instant::now();
    let config = &session.config;
    let purpose = if mode == Mode::Verify {
        "verify"
    } else {
        "build"
    };
    let suffix = &Uuid::new_v4().simple().to_string()[..10];
    let database = format!("{}_{purpose}_{suffix}", config.clickhouse_database);
    analytics::migrate(&config.clickhouse_url, &database).await?;
    let scratch = Scratch {
        client: analytics::client(&config.clickhouse_url, &database),
        database,
    };
    let result = async {
        catch_up(session, unit, &scratch, shutdown).await?;
        finish(session, unit, &scratch, mode, shutdown).await
    }
    .await;
    let records = positions(session, &scratch.client, unit)
        .await?
        .values()
        .sum();
    analytics::drop_database(&config.clickhouse_url, &scratch.database).await?;
    Ok(FactsReport {
        unit,
        records,
        elapsed: started.elapsed(),
        finish: result?,
    })
}

fn live_client(session: &Session) -> Client {
    analytics::client(
        &session.config.clickhouse_url,
        &session.config.clickhouse_database,
    )
}

async fn positions(
    session: &Session,
    client: &Client,
    unit: &FactsUnit,
) -> Result<HashMap<i32, i64>, ProjectorError> {
    Ok(analytics::load_positions(
        client,
        unit.name,
        session.log_epoch,
        session.base.partitions,
    )
    .await?
    .into_iter()
    .map(|start| (start.partition, start.next_offset))
    .collect())
}

fn gap(from: &HashMap<i32, i64>, to: &HashMap<i32, i64>) -> i64 {
    to.iter()
        .map(|(p, target)| (target - from.get(p).copied().unwrap_or(0)).max(0))
        .sum()
}

async fn run_to(
    session: &Session,
    unit: &FactsUnit,
    scratch: &Scratch,
    targets: &HashMap<i32, i64>,
    shutdown: &Shutdown,
) -> Result<(), ProjectorError> {
    let context = RunContext {
        stop_at: Some(targets.clone()),
        ..session.base.clone()
    };
    run_facts(
        unit,
        scratch.client.clone(),
        session.log_epoch,
        context,
        shutdown.clone(),
    )
    .await
}

async fn catch_up(
    session: &Session,
    unit: &'static FactsUnit,
    scratch: &Scratch,
    shutdown: &Shutdown,
) -> Result<(), ReplayError> {
    let live = live_client(session);
    let mut targets = positions(session, &live, unit).await?;
    let counter_client = scratch.client.clone();
    let (epoch, partitions) = (session.log_epoch, session.base.partitions);
    let done: DoneCounter = Box::new(move || {
        let client = counter_client.clone();
        Box::pin(async move {
            let starts = analytics::load_positions(&client, unit.name, epoch, partitions)
                .await
                .ok()?;
            Some(starts.iter().map(|s| s.next_offset).sum())
        })
    });
    let progress = Progress::counting(unit.name.to_string(), done, targets.values().sum());
    let result = async {
        for _round in 0..MAX_CATCH_UP_ROUNDS {
            run_to(session, unit, scratch, &targets, shutdown).await?;
            if shutdown.is_triggered() {
                return Err(ReplayError::Interrupted);
            }
            targets = positions(session, &live, unit).await?;
            progress.set_total(targets.values().sum());
            if gap(&positions(session, &scratch.client, unit).await?, &targets) <= LOCKED_GAP {
                break;
            }
        }
        Ok(())
    }
    .await;
    progress.finish();
    result
}

async fn finish(
    session: &Session,
    unit: &'static FactsUnit,
    scratch: &Scratch,
    mode: Mode,
    shutdown: &Shutdown,
) -> Result<Finish, ReplayError> {
    let live = live_client(session);
    let mut tx = session.live.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '30s'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(lock_name(unit.name))
        .execute(&mut *tx)
        .await?;
    let targets = positions(session, &live, unit).await?;
    run_to(session, unit, scratch, &targets, shutdown).await?;
    if gap(&positions(session, &scratch.client, unit).await?, &targets) > 0 {
        return Err(ReplayError::Interrupted);
    }
    let mut checks = Vec::new();
    for table in unit.tables {
        checks.push(TableCheck {
            table: table.to_string(),
            live: fingerprint(&live, &session.config.clickhouse_database, table).await?,
            rebuilt: fingerprint(&scratch.client, &scratch.database, table).await?,
        });
    }
    let current = versions::live(&mut tx, unit.name).await?;
    let mut finish = Finish {
        checks,
        live: current,
        comparable: current.code_version == unit.code_version,
        switched_to: None,
    };
    if !finish.should_switch(mode) {
        tx.rollback().await?;
        return Ok(finish);
    }
    let config = &session.config;
    let retired = format!(
        "{}_retired_{}",
        config.clickhouse_database,
        &Uuid::new_v4().simple().to_string()[..10]
    );
    analytics::server_client(&config.clickhouse_url)
        .query(&format!("CREATE DATABASE {retired}"))
        .execute()
        .await
        .map_err(ProjectorError::from)?;
    let live_db = &config.clickhouse_database;
    let renames: Vec<String> = unit
        .tables
        .iter()
        .map(|t| format!("{live_db}.{t} TO {retired}.{t}"))
        .chain(
            unit.tables
                .iter()
                .map(|t| format!("{}.{t} TO {live_db}.{t}", scratch.database)),
        )
        .collect();
    analytics::server_client(&config.clickhouse_url)
        .query(&format!("RENAME TABLE {}", renames.join(", ")))
        .execute()
        .await
        .map_err(ProjectorError::from)?;
    let generation = current.generation + 1;
    versions::record(&mut tx, unit.name, generation, unit.code_version).await?;
    tx.commit().await?;
    finish.switched_to = Some(generation);
    tracing::info!(
        unit = unit.name,
        generation,
        "analysts switched to the rebuilt facts"
    );
    analytics::drop_database(&config.clickhouse_url, &retired).await?;
    Ok(finish)
}

/// Row count and the sum of a hash of every column over the deduplicated rows of `table`.
async fn fingerprint(
    client: &Client,
    database: &str,
    table: &str,
) -> Result<Fingerprint, ProjectorError> {
    let columns: Vec<String> = client
        .query("SELECT name FROM system.columns WHERE database = ? AND table = ? ORDER BY name")
        .bind(database)
        .bind(table)
        .fetch_all()
        .await?;
    // ClickHouse 18.16 hashes no UUIDs: hash every column's text form instead.
    let hashed = columns
        .iter()
        .map(|c| format!("toString({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    let (rows, checksum): (u64, String) = client
        .query(&format!(
            "SELECT count(), toString(sum(cityHash64({hashed}))) FROM {database}.{table} FINAL"
        ))
        .fetch_one()
        .await?;
    Ok(Fingerprint {
        rows: i64::try_from(rows).unwrap_or(i64::MAX),
        checksum,
    })
}
