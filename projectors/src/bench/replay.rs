//! The timed part: every projection rebuilt from offset 0 to the end of the generated log,
//! each with its own log reader and its own task, all at once, into a scratch Postgres schema
//! and a scratch ClickHouse database — the same code path as `rebuild-check`.
//!
//! Dead letters are counted, not sent (the generated log must not produce any: one would mean
//! the generator wrote an event the projections cannot apply).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use runtime::{config::KafkaConfig, shutdown::Shutdown};
use serde::Serialize;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::{
    analytics,
    config::Config,
    dlq::DeadLetters,
    error::ProjectorError,
    migrate,
    projections::{
        carts::Carts,
        catalog::Catalog,
        coupons::Coupons,
        customers::Customers,
        inventory::Inventory,
        orders::Orders,
        payments::Payments,
        sales_facts::{self, SalesFacts},
        stock_movements::{self, StockMovements},
    },
    read_model::{PgProjection, ReadModel},
    runner::{self, RunContext},
};

/// How long one projection took to reach the end of the log.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectionTime {
    /// Projection name.
    pub name: &'static str,
    /// `postgres` or `clickhouse`.
    pub store: &'static str,
    /// From the common start to its last commit.
    pub seconds: f64,
}

/// Scratch stores of one replay.
pub struct Scratch {
    /// Pool on the scratch schema (small: the server's connections are shared).
    pub pool: PgPool,
    /// Scratch schema name.
    pub schema: String,
    /// Client of the scratch ClickHouse database.
    pub clickhouse: clickhouse::Client,
    /// Scratch ClickHouse database name.
    pub database: String,
}

impl Scratch {
    /// Creates and migrates the scratch schema and database named after `name`.
    pub async fn create(
        config: &Config,
        name: &str,
        log_epoch: Uuid,
    ) -> Result<Self, ProjectorError> {
        migrate::ensure_database(&config.database_url).await?;
        let schema = name.to_string();
        let database = format!("{}_{name}", config.clickhouse_database);
        let pool = migrate::connect(&config.database_url, &schema).await?;
        migrate::migrate_schema(&pool, &schema).await?;
        sqlx::query("INSERT INTO agora_meta (key, value) VALUES ('log_epoch', $1)")
            .bind(log_epoch.to_string())
            .execute(&pool)
            .await?;
        analytics::migrate(&config.clickhouse_url, &database).await?;
        let clickhouse = analytics::client(&config.clickhouse_url, &database);
        Ok(Self {
            pool,
            schema,
            clickhouse,
            database,
        })
    }

    /// Drops the scratch schema and database.
    pub async fn drop(self, config: &Config) -> Result<(), ProjectorError> {
        sqlx::query(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            migrate::quote(&self.schema)
        ))
        .execute(&self.pool)
        .await?;
        self.pool.close().await;
        tracing::info!(schema = %self.schema, "scratch schema dropped");
        analytics::drop_database(&config.clickhouse_url, &self.database).await?;
        tracing::info!(database = %self.database, "scratch ClickHouse database dropped");
        Ok(())
    }
}

/// What the replay measured.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// From the start of every projection to the end of the last one.
    pub wall: Duration,
    /// Per projection.
    pub projections: Vec<ProjectionTime>,
    /// Records the projections would have dead-lettered.
    pub dead_letters: u64,
}

/// Runs every projection over `kafka`'s events topic up to `targets` (next offset per
/// partition) into `scratch`; gives up after `timeout`.
pub async fn replay(
    kafka: &KafkaConfig,
    config: &Config,
    scratch: &Scratch,
    log_epoch: Uuid,
    targets: HashMap<i32, i64>,
    timeout: Duration,
) -> Result<Replayed, ProjectorError> {
    let topic = kafka.topics().events;
    let dlq = Arc::new(DeadLetters::discarding(kafka));
    let context = RunContext {
        kafka: kafka.clone(),
        topic,
        partitions: i32::try_from(targets.len()).unwrap_or(i32::MAX),
        batch: config.batch,
        dlq: dlq.clone(),
        stop_at: Some(targets),
        assignment: crate::membership::Assignment::All,
    };
    let shutdown = Shutdown::new();
    let mut tasks: JoinSet<(ProjectionTime, Result<(), ProjectorError>)> = JoinSet::new();
    let started = Instant::now();
    let pool = &scratch.pool;
    spawn_pg(
        &mut tasks, started, pool, Catalog, log_epoch, &context, &shutdown,
    );
    spawn_pg(
        &mut tasks, started, pool, Inventory, log_epoch, &context, &shutdown,
    );
    spawn_pg(
        &mut tasks, started, pool, Customers, log_epoch, &context, &shutdown,
    );
    spawn_pg(
        &mut tasks, started, pool, Carts, log_epoch, &context, &shutdown,
    );
    spawn_pg(
        &mut tasks, started, pool, Orders, log_epoch, &context, &shutdown,
    );
    spawn_pg(
        &mut tasks, started, pool, Payments, log_epoch, &context, &shutdown,
    );
    spawn_pg(
        &mut tasks, started, pool, Coupons, log_epoch, &context, &shutdown,
    );
    spawn_timed(
        &mut tasks,
        started,
        stock_movements::NAME,
        "clickhouse",
        runner::run(
            StockMovements::new(scratch.clickhouse.clone(), log_epoch),
            context.clone(),
            shutdown.clone(),
        ),
    );
    spawn_timed(
        &mut tasks,
        started,
        sales_facts::NAME,
        "clickhouse",
        runner::run(
            SalesFacts::new(scratch.clickhouse.clone(), log_epoch),
            context.clone(),
            shutdown.clone(),
        ),
    );
    let joined = tokio::time::timeout(timeout, collect(&mut tasks)).await;
    let (projections, first_error) = match joined {
        Ok(collected) => collected?,
        Err(_elapsed) => {
            shutdown.trigger();
            tasks.shutdown().await;
            return Err(ProjectorError::Invalid(format!(
                "replay did not finish within {timeout:?}"
            )));
        }
    };
    let wall = started.elapsed();
    if let Some(error) = first_error {
        return Err(error);
    }
    let mut projections = projections;
    projections.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    Ok(Replayed {
        wall,
        projections,
        dead_letters: dlq.sent(),
    })
}

type Collected = (Vec<ProjectionTime>, Option<ProjectorError>);

async fn collect(
    tasks: &mut JoinSet<(ProjectionTime, Result<(), ProjectorError>)>,
) -> Result<Collected, ProjectorError> {
    let mut times = Vec::new();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let (time, result) = joined?;
        if let Err(error) = result {
            tracing::error!(projection = time.name, error = %error, "projection failed");
            first_error.get_or_insert(error);
        }
        times.push(time);
    }
    Ok((times, first_error))
}

fn spawn_pg<M: ReadModel>(
    tasks: &mut JoinSet<(ProjectionTime, Result<(), ProjectorError>)>,
    started: Instant,
    pool: &PgPool,
    model: M,
    log_epoch: Uuid,
    context: &RunContext,
    shutdown: &Shutdown,
) {
    spawn_timed(
        tasks,
        started,
        M::NAME,
        "postgres",
        runner::run(
            PgProjection::new(pool.clone(), model, log_epoch),
            context.clone(),
            shutdown.clone(),
        ),
    );
}

/// Runs `run` as its own task (so projections share both cores), timing it from `started`.
fn spawn_timed<F>(
    tasks: &mut JoinSet<(ProjectionTime, Result<(), ProjectorError>)>,
    started: Instant,
    name: &'static str,
    store: &'static str,
    run: F,
) where
    F: std::future::Future<Output = Result<(), ProjectorError>> + Send + 'static,
{
    tasks.spawn(async move {
        let result = run.await;
        let time = ProjectionTime {
            name,
            store,
            seconds: started.elapsed().as_secs_f64(),
        };
        (time, result)
    });
}
