//! The stores' raw write rates:
//!
//! - **Postgres**: rows shaped like the `inventory_items` read model (same columns, generated
//!   columns and indexes) written by two connections at once (the machine's two cores), once
//!   with `COPY … FROM STDIN` and once with multi-row `INSERT … SELECT FROM unnest(…)`, in
//!   chunks of 5,000 rows, each in its own scratch schema of the run's database;
//! - **ClickHouse**: `stock_movements` facts (the projector's own row type and DDL, created with
//!   `projectors::analytics::migrate` in a scratch database) inserted through the projector's
//!   `insert_rows`, two inserts of 20,000 rows in flight.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::Utc;
use futures::{StreamExt, TryStreamExt, stream};
use projectors::{analytics, projections::stock_movements::MovementRow};
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use tokio::time::Instant;
use uuid::Uuid;

/// Concurrent writers.
const WRITERS: usize = 2;
/// Rows per Postgres statement or COPY.
const PG_CHUNK: u64 = 5_000;
/// Rows per ClickHouse insert.
const CH_CHUNK: u64 = 20_000;

/// A store's write rate.
#[derive(Debug, Clone, Serialize)]
pub struct RowRate {
    /// Rows written.
    pub rows: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// `rows / seconds`.
    pub per_second: f64,
}

impl RowRate {
    fn new(rows: u64, seconds: f64) -> Self {
        Self {
            rows,
            seconds,
            per_second: rows as f64 / seconds.max(1e-9),
        }
    }
}

const DDL: &str = "CREATE TABLE {schema}.inventory_items (
    sku                 text        PRIMARY KEY,
    product_id          uuid        NULL,
    on_hand             bigint      NOT NULL DEFAULT 0,
    reserved            bigint      NOT NULL DEFAULT 0,
    available           bigint      GENERATED ALWAYS AS (on_hand - reserved) STORED,
    low_stock_threshold bigint      NOT NULL DEFAULT 0,
    low_stock           boolean     GENERATED ALWAYS AS (on_hand - reserved <= low_stock_threshold) STORED,
    updated_at          timestamptz NOT NULL,
    stream_version      bigint      NOT NULL);
CREATE INDEX ON {schema}.inventory_items (available, sku) WHERE low_stock;
CREATE INDEX ON {schema}.inventory_items (product_id)";

async fn scratch_schema(database_url: &str, schema: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(database_url).await?;
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await?;
    sqlx::raw_sql(&DDL.replace("{schema}", schema))
        .execute(&mut conn)
        .await
        .context("creating the raw Postgres table")?;
    Ok(())
}

async fn drop_schema(database_url: &str, schema: &str) {
    let dropped = async {
        let mut conn = PgConnection::connect(database_url).await?;
        sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut conn)
            .await?;
        anyhow::Ok(())
    };
    if let Err(error) = dropped.await {
        tracing::warn!(
            error = format!("{error:#}"),
            schema,
            "could not drop a scratch schema"
        );
    }
}

/// Chunks `0..rows` into `(first, count)` pieces.
fn chunks(rows: u64, size: u64) -> Vec<(u64, u64)> {
    (0..rows.div_ceil(size))
        .map(|c| (c * size, size.min(rows - c * size)))
        .collect()
}

/// `COPY` rate into the read-model-shaped table.
pub async fn postgres_copy(database_url: &str, rows: u64) -> anyhow::Result<RowRate> {
    let schema = "raw_copy";
    scratch_schema(database_url, schema).await?;
    let started = Instant::now();
    let written = stream::iter(chunks(rows, PG_CHUNK))
        .map(|(first, count)| async move {
            let mut text = String::with_capacity(count as usize * 96);
            let now = Utc::now().to_rfc3339();
            for i in first..first + count {
                let _ = writeln!(
                    text,
                    "RAW-{i:08}\t{}\t{}\t0\t5\t{now}\t{}",
                    Uuid::new_v4(),
                    i % 1000,
                    i % 7 + 1
                );
            }
            let mut conn = PgConnection::connect(database_url).await?;
            let mut copy = conn
                .copy_in_raw(&format!(
                    "COPY {schema}.inventory_items (sku, product_id, on_hand, reserved, \
                     low_stock_threshold, updated_at, stream_version) FROM STDIN"
                ))
                .await?;
            copy.send(text.into_bytes()).await?;
            let copied = copy.finish().await?;
            anyhow::Ok(copied)
        })
        .buffer_unordered(WRITERS)
        .try_fold(0u64, |sum, n| async move { Ok(sum + n) })
        .await;
    let seconds = started.elapsed().as_secs_f64();
    drop_schema(database_url, schema).await;
    Ok(RowRate::new(written?, seconds))
}

/// Multi-row `INSERT` rate into the read-model-shaped table.
pub async fn postgres_insert(database_url: &str, rows: u64) -> anyhow::Result<RowRate> {
    let schema = "raw_insert";
    scratch_schema(database_url, schema).await?;
    let started = Instant::now();
    let statement = format!(
        "INSERT INTO {schema}.inventory_items (sku, product_id, on_hand, reserved, \
         low_stock_threshold, updated_at, stream_version) \
         SELECT sku, product_id, on_hand, 0, 5, now(), stream_version \
         FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::bigint[]) \
         AS t(sku, product_id, on_hand, stream_version)"
    );
    let written = stream::iter(chunks(rows, PG_CHUNK))
        .map(|(first, count)| {
            let statement = statement.clone();
            async move {
                let range = first..first + count;
                let skus: Vec<String> = range.clone().map(|i| format!("RAW-{i:08}")).collect();
                let products: Vec<Uuid> = range.clone().map(|_| Uuid::new_v4()).collect();
                let on_hand: Vec<i64> = range.clone().map(|i| (i % 1000) as i64).collect();
                let versions: Vec<i64> = range.map(|i| (i % 7 + 1) as i64).collect();
                let mut conn = PgConnection::connect(database_url).await?;
                let done = sqlx::query(&statement)
                    .bind(skus)
                    .bind(products)
                    .bind(on_hand)
                    .bind(versions)
                    .execute(&mut conn)
                    .await?;
                anyhow::Ok(done.rows_affected())
            }
        })
        .buffer_unordered(WRITERS)
        .try_fold(0u64, |sum, n| async move { Ok(sum + n) })
        .await;
    let seconds = started.elapsed().as_secs_f64();
    drop_schema(database_url, schema).await;
    Ok(RowRate::new(written?, seconds))
}

/// Insert rate of `stock_movements` facts into a scratch ClickHouse database.
pub async fn clickhouse_insert(url: &str, database: &str, rows: u64) -> anyhow::Result<RowRate> {
    analytics::migrate(url, database)
        .await
        .context("creating the raw ClickHouse tables")?;
    let client = analytics::client(url, database);
    let started = Instant::now();
    let written = stream::iter(chunks(rows, CH_CHUNK))
        .map(|(first, count)| {
            let client = client.clone();
            async move {
                let now = Utc::now().timestamp() as u32;
                let batch: Vec<MovementRow> =
                    (first..first + count).map(|i| movement(i, now)).collect();
                analytics::insert_rows(&client, "stock_movements", &batch).await?;
                anyhow::Ok(count)
            }
        })
        .buffer_unordered(WRITERS)
        .try_fold(0u64, |sum, n| async move { Ok(sum + n) })
        .await;
    let seconds = started.elapsed().as_secs_f64();
    Ok(RowRate::new(written?, seconds))
}

fn movement(i: u64, now: u32) -> MovementRow {
    MovementRow {
        event_id: Uuid::new_v4(),
        occurred_at: now,
        sku: format!("RAW-{:05}", i % 10_000),
        product_id: Uuid::new_v4(),
        movement: "adjusted".into(),
        quantity: 1,
        on_hand_delta: 1,
        reserved_delta: 0,
        on_hand: (i % 1000) as i64,
        reserved: 0,
        reason: "raw benchmark".into(),
        order_id: Uuid::nil(),
        line: 0,
        stream_version: i % 7 + 1,
        partition: (i % 4) as i32,
        offset: i as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_cover_every_row_once() {
        assert_eq!(chunks(12, 5), vec![(0, 5), (5, 5), (10, 2)]);
        assert_eq!(chunks(10, 5), vec![(0, 5), (5, 5)]);
        assert!(chunks(0, 5).is_empty());
    }
}
