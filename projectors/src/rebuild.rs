//! `agora-projector rebuild-check`: rebuild every projection from offset 0 beside the live one
//! and compare full table contents.
//!
//! The rebuild runs the same projection code into a scratch Postgres schema and a scratch
//! ClickHouse database, up to exactly the positions the live projections had when the check
//! began, then compares every row. If the live projections moved on meanwhile the comparison is
//! not meaningful and the report says so (`live_moved`): run it again when the log is quiet.

use std::collections::{BTreeMap, HashMap};

use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    analytics, checkpoint,
    config::Config,
    dlq::DeadLetters,
    error::ProjectorError,
    migrate::{self, quote},
    projections::{
        carts::{self, Carts},
        catalog::{self, Catalog},
        coupons::{self, Coupons},
        customers::{self, Customers},
        event_log::{self, EventLog},
        inventory::{self, Inventory},
        orders::{self, Orders},
        payments::{self, Payments},
        stock_movements::{self, StockMovements},
    },
    read_model::PgProjection,
    runner::{self, RunContext},
    startup,
};
use runtime::shutdown::Shutdown;

/// Postgres tables compared, with the projection that writes them.
pub const COMPARED_TABLES: &[(&str, &str)] = &[
    ("catalog_products", catalog::NAME),
    ("catalog_variants", catalog::NAME),
    ("inventory_items", inventory::NAME),
    ("customers", customers::NAME),
    ("carts", carts::NAME),
    ("cart_lines", carts::NAME),
    ("orders", orders::NAME),
    ("order_lines", orders::NAME),
    ("order_status_history", orders::NAME),
    ("payments", payments::NAME),
    ("coupons", coupons::NAME),
    ("coupon_redemptions", coupons::NAME),
];

/// The checkout read models, rebuilt beside the catalog and inventory.
const CHECKOUT_PROJECTIONS: &[&str] = &[
    customers::NAME,
    carts::NAME,
    orders::NAME,
    payments::NAME,
    coupons::NAME,
];

/// ClickHouse tables compared (read with FINAL), with their sort order.
pub const COMPARED_FACTS: &[(&str, &str)] = &[
    ("stock_movements", "sku, stream_version, event_id"),
    (event_log::TABLE, "event_id"),
    ("sku_products", "sku"),
];

/// How one table's live contents compare with its rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableComparison {
    /// `postgres` or `clickhouse`.
    pub store: &'static str,
    /// Table name.
    pub table: String,
    /// Rows in the live table.
    pub live_rows: i64,
    /// Rows in the rebuilt table.
    pub rebuilt_rows: i64,
    /// Rows present on one side and not the other (counting duplicates).
    pub differing_rows: i64,
}

/// The outcome of a rebuild check.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    /// One entry per compared table.
    pub tables: Vec<TableComparison>,
    /// True when a live projection moved past the rebuilt positions during the check.
    pub live_moved: bool,
    /// Records each rebuilt projection dead-lettered (discarded, not re-sent).
    pub dead_letters: u64,
}

impl RebuildReport {
    /// Whether every table matched and the comparison was taken at the rebuilt positions.
    pub fn matches(&self) -> bool {
        !self.live_moved && self.tables.iter().all(|t| t.differing_rows == 0)
    }
}

/// Rebuilds into scratch stores, compares with the live ones, and drops the scratch stores
/// (unless `keep`).
pub async fn rebuild_check(config: &Config, keep: bool) -> Result<RebuildReport, ProjectorError> {
    let live = migrate::connect(&config.database_url, &config.pg_schema).await?;
    let live_clickhouse = analytics::client(&config.clickhouse_url, &config.clickhouse_database);
    let log_epoch: Uuid =
        sqlx::query_scalar::<_, String>("SELECT value FROM agora_meta WHERE key = 'log_epoch'")
            .fetch_optional(&live)
            .await?
            .and_then(|value| Uuid::parse_str(&value).ok())
            .ok_or(ProjectorError::NoLogEpoch)?;
    let topic = config.kafka.topics().events;
    let partitions = startup::partition_count(config, &topic).await?;

    let targets = live_targets(&live, &live_clickhouse, log_epoch, partitions).await?;
    let suffix = Uuid::new_v4().simple().to_string()[..12].to_string();
    let scratch_schema = format!("rebuild_{suffix}");
    let scratch_database = format!("{}_rebuild_{suffix}", config.clickhouse_database);
    tracing::info!(schema = %scratch_schema, clickhouse = %scratch_database, "rebuilding from offset 0");

    let scratch = migrate::connect(&config.database_url, &scratch_schema).await?;
    let result = async {
        migrate::migrate_schema(&scratch, &scratch_schema).await?;
        sqlx::query("INSERT INTO agora_meta (key, value) VALUES ('log_epoch', $1)")
            .bind(log_epoch.to_string())
            .execute(&scratch)
            .await?;
        analytics::migrate(&config.clickhouse_url, &scratch_database).await?;
        let scratch_clickhouse = analytics::client(&config.clickhouse_url, &scratch_database);
        let dlq = std::sync::Arc::new(DeadLetters::discarding(&config.kafka));
        let context = |projection: &str| RunContext {
            kafka: config.kafka.clone(),
            topic: topic.clone(),
            partitions,
            batch: config.batch,
            dlq: dlq.clone(),
            stop_at: Some(targets.get(projection).cloned().unwrap_or_default()),
            assignment: crate::membership::Assignment::All,
        };
        let shutdown = Shutdown::new();
        let pg = |projection: &str| {
            (
                scratch.clone(),
                log_epoch,
                context(projection),
                shutdown.clone(),
            )
        };
        let (customers, carts, orders, payments, coupons) = tokio::join!(
            run_read_model(Customers, pg(customers::NAME)),
            run_read_model(Carts, pg(carts::NAME)),
            run_read_model(Orders, pg(orders::NAME)),
            run_read_model(Payments, pg(payments::NAME)),
            run_read_model(Coupons, pg(coupons::NAME)),
        );
        let (catalog, inventory, movements, events) = tokio::join!(
            runner::run(
                PgProjection::new(scratch.clone(), Catalog, log_epoch),
                context(catalog::NAME),
                shutdown.clone(),
            ),
            runner::run(
                PgProjection::new(scratch.clone(), Inventory, log_epoch),
                context(inventory::NAME),
                shutdown.clone(),
            ),
            runner::run(
                StockMovements::new(scratch_clickhouse.clone(), log_epoch),
                context(stock_movements::NAME),
                shutdown.clone(),
            ),
            runner::run(
                EventLog::new(scratch_clickhouse.clone(), log_epoch),
                context(event_log::NAME),
                shutdown.clone(),
            ),
        );
        catalog?;
        inventory?;
        movements?;
        events?;
        customers?;
        carts?;
        orders?;
        payments?;
        coupons?;
        let mut tables = compare_postgres(&live, &config.pg_schema, &scratch_schema).await?;
        tables.extend(compare_clickhouse(&live_clickhouse, &scratch_clickhouse).await?);
        let now = live_targets(&live, &live_clickhouse, log_epoch, partitions).await?;
        Ok(RebuildReport {
            tables,
            live_moved: now != targets,
            dead_letters: dlq.sent(),
        })
    }
    .await;
    scratch.close().await;
    if keep {
        tracing::info!(schema = %scratch_schema, clickhouse = %scratch_database, "scratch stores kept");
    } else {
        sqlx::query(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote(&scratch_schema)
        ))
        .execute(&live)
        .await?;
        analytics::drop_database(&config.clickhouse_url, &scratch_database).await?;
    }
    result
}

/// Rebuilds one Postgres read model into `pool` up to the context's stop positions.
async fn run_read_model<M: crate::read_model::ReadModel>(
    model: M,
    (pool, log_epoch, context, shutdown): (PgPool, Uuid, RunContext, Shutdown),
) -> Result<(), ProjectorError> {
    runner::run(PgProjection::new(pool, model, log_epoch), context, shutdown).await
}

/// The positions each live projection had reached, by projection and partition.
async fn live_targets(
    live: &PgPool,
    clickhouse: &clickhouse::Client,
    log_epoch: Uuid,
    partitions: i32,
) -> Result<HashMap<String, HashMap<i32, i64>>, ProjectorError> {
    let mut targets = HashMap::new();
    let mut conn = live.acquire().await?;
    for projection in [catalog::NAME, inventory::NAME]
        .iter()
        .chain(CHECKOUT_PROJECTIONS)
    {
        let offsets = checkpoint::offsets(&mut conn, projection).await?;
        targets.insert(projection.to_string(), offsets.into_iter().collect());
    }
    for projection in [stock_movements::NAME, event_log::NAME] {
        let positions =
            analytics::load_positions(clickhouse, projection, log_epoch, partitions).await?;
        targets.insert(
            projection.to_string(),
            positions
                .into_iter()
                .map(|p| (p.partition, p.next_offset))
                .collect(),
        );
    }
    Ok(targets)
}

async fn compare_postgres(
    pool: &PgPool,
    live_schema: &str,
    scratch_schema: &str,
) -> Result<Vec<TableComparison>, ProjectorError> {
    let mut comparisons = Vec::new();
    for (table, _projection) in COMPARED_TABLES {
        let live = format!("{}.{}", quote(live_schema), quote(table));
        let rebuilt = format!("{}.{}", quote(scratch_schema), quote(table));
        let (live_rows, rebuilt_rows, differing_rows): (i64, i64, i64) = sqlx::query_as(&format!(
            "SELECT (SELECT count(*) FROM {live}), (SELECT count(*) FROM {rebuilt}),
                    (SELECT count(*) FROM ((SELECT * FROM {live} EXCEPT ALL SELECT * FROM {rebuilt})
                                 UNION ALL (SELECT * FROM {rebuilt} EXCEPT ALL SELECT * FROM {live})) AS d)"
        ))
        .fetch_one(pool)
        .await?;
        comparisons.push(TableComparison {
            store: "postgres",
            table: table.to_string(),
            live_rows,
            rebuilt_rows,
            differing_rows,
        });
    }
    Ok(comparisons)
}

async fn compare_clickhouse(
    live: &clickhouse::Client,
    rebuilt: &clickhouse::Client,
) -> Result<Vec<TableComparison>, ProjectorError> {
    let mut comparisons = Vec::new();
    for (table, order) in COMPARED_FACTS {
        let sql = format!("SELECT * FROM {table} FINAL ORDER BY {order}");
        let live_text = live
            .query(&sql)
            .fetch_bytes("TabSeparated")?
            .collect()
            .await?;
        let rebuilt_text = rebuilt
            .query(&sql)
            .fetch_bytes("TabSeparated")?
            .collect()
            .await?;
        let live_text = String::from_utf8_lossy(&live_text);
        let rebuilt_text = String::from_utf8_lossy(&rebuilt_text);
        let mut balance: BTreeMap<&str, i64> = BTreeMap::new();
        for line in live_text.lines() {
            *balance.entry(line).or_default() += 1;
        }
        for line in rebuilt_text.lines() {
            *balance.entry(line).or_default() -= 1;
        }
        comparisons.push(TableComparison {
            store: "clickhouse",
            table: table.to_string(),
            live_rows: live_text.lines().count() as i64,
            rebuilt_rows: rebuilt_text.lines().count() as i64,
            differing_rows: balance.values().map(|n| n.abs()).sum(),
        });
    }
    Ok(comparisons)
}
