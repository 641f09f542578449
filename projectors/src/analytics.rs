//! The ClickHouse side: client setup, DDL, positions and resets.
//!
//! Kept valid on ClickHouse 18.16 (Debian's) and current versions: the client sends plain
//! `RowBinary` (`with_validation(false)`, as 18.16 lacks `RowBinaryWithNamesAndTypes`) without
//! compression (18.16's LZ4 responses did not decode), and queries avoid newer syntax.
//!
//! Positions are read back from ClickHouse itself, so facts and position live in one store:
//! facts are inserted first and the position after, and a crash in between only re-inserts
//! facts that collapse on their key.

use clickhouse::{Client, Compression, Row};
use runtime::log::PartitionStart;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{error::ProjectorError, runner::Advance};

/// DDL files, applied in order by `migrate`; each is idempotent (`CREATE … IF NOT EXISTS`).
pub const DDL: &[(&str, &str)] = &[
    (
        "0001_stock_movements.sql",
        include_str!("../clickhouse/0001_stock_movements.sql"),
    ),
    (
        "0002_sku_products.sql",
        include_str!("../clickhouse/0002_sku_products.sql"),
    ),
    (
        "0003_projection_positions.sql",
        include_str!("../clickhouse/0003_projection_positions.sql"),
    ),
    (
        "0004_order_facts.sql",
        include_str!("../clickhouse/0004_order_facts.sql"),
    ),
    (
        "0005_order_line_facts.sql",
        include_str!("../clickhouse/0005_order_line_facts.sql"),
    ),
    (
        "0006_payment_facts.sql",
        include_str!("../clickhouse/0006_payment_facts.sql"),
    ),
    (
        "0007_cart_facts.sql",
        include_str!("../clickhouse/0007_cart_facts.sql"),
    ),
    (
        "0008_sales_daily.sql",
        include_str!("../clickhouse/0008_sales_daily.sql"),
    ),
    (
        "0009_funnel_daily.sql",
        include_str!("../clickhouse/0009_funnel_daily.sql"),
    ),
    (
        "0010_events.sql",
        include_str!("../clickhouse/0010_events.sql"),
    ),
];

/// Tables emptied when the broker holds a new log.
pub const DERIVED_TABLES: &[&str] = &[
    "stock_movements",
    "sku_products",
    "projection_positions",
    "order_facts",
    "order_line_facts",
    "payment_facts",
    "cart_facts",
    "events",
];

/// A client without a database, for server-level statements.
pub fn server_client(url: &str) -> Client {
    Client::default()
        .with_url(url)
        .with_validation(false)
        .with_compression(Compression::None)
}

/// A client for `database`.
pub fn client(url: &str, database: &str) -> Client {
    server_client(url).with_database(database)
}

/// Whether `name` can be spliced into SQL as an identifier (database names come from settings).
pub fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// Creates `database` if missing and applies the DDL in it.
pub async fn migrate(url: &str, database: &str) -> Result<(), ProjectorError> {
    if !is_plain_identifier(database) {
        return Err(ProjectorError::Invalid(format!(
            "CLICKHOUSE_DATABASE={database:?} must be letters, digits and underscores"
        )));
    }
    server_client(url)
        .query(&format!("CREATE DATABASE IF NOT EXISTS {database}"))
        .execute()
        .await?;
    let client = client(url, database);
    for (_file, ddl) in DDL {
        for statement in statements(ddl) {
            client.query(&statement).execute().await?;
        }
    }
    Ok(())
}

/// Splits a DDL file into statements, dropping `--` comment lines.
fn statements(ddl: &str) -> Vec<String> {
    let without_comments: String = ddl
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .map(str::to_string)
        .collect()
}

/// Inserts `rows` into `table` in one insert (nothing when there are none).
pub async fn insert_rows<T>(client: &Client, table: &str, rows: &[T]) -> Result<(), ProjectorError>
where
    T: clickhouse::RowOwned + clickhouse::RowWrite,
{
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = client.insert::<T>(table).await?;
    for row in rows {
        insert.write(row).await?;
    }
    insert.end().await?;
    Ok(())
}

/// Empties every derived table (the broker holds a new log).
pub async fn truncate_all(client: &Client) -> Result<(), ProjectorError> {
    for table in DERIVED_TABLES {
        client
            .query(&format!("TRUNCATE TABLE IF EXISTS {table}"))
            .execute()
            .await?;
    }
    Ok(())
}

/// Drops `database` (scratch databases of rebuilds).
pub async fn drop_database(url: &str, database: &str) -> Result<(), ProjectorError> {
    if !is_plain_identifier(database) {
        return Err(ProjectorError::Invalid(format!(
            "bad database name {database:?}"
        )));
    }
    server_client(url)
        .query(&format!("DROP DATABASE IF EXISTS {database}"))
        .execute()
        .await?;
    Ok(())
}

/// One row of `projection_positions`.
#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct PositionRow {
    /// Projection name.
    pub projection: String,
    /// Log the position belongs to.
    #[serde(with = "clickhouse::serde::uuid")]
    pub log_epoch: Uuid,
    /// Partition.
    pub partition: i32,
    /// Next offset to read.
    pub next_offset: i64,
    /// Epoch of the partition at that offset, -1 for none.
    pub owner_epoch: i64,
    /// When it was written (seconds).
    pub written_at: u32,
    /// Replacing version: `next_offset`, which only grows.
    pub version: u64,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
struct StoredPosition {
    partition: i32,
    next_offset: i64,
    owner_epoch: i64,
}

/// Names of the projections that stored a position in `log_epoch`.
pub async fn projection_names(
    client: &Client,
    log_epoch: Uuid,
) -> Result<Vec<String>, ProjectorError> {
    Ok(client
        .query(
            "SELECT DISTINCT projection FROM projection_positions
             WHERE log_epoch = toUUID(?) ORDER BY projection",
        )
        .bind(log_epoch.to_string())
        .fetch_all::<String>()
        .await?)
}

/// The stored positions of `projection` in `log_epoch`, one per partition below `partitions`
/// (offset 0 where nothing was stored).
pub async fn load_positions(
    client: &Client,
    projection: &str,
    log_epoch: Uuid,
    partitions: i32,
) -> Result<Vec<PartitionStart>, ProjectorError> {
    let stored: Vec<StoredPosition> = client
        .query(
            // Aliases must not reuse column names: 18.16 resolves them inside aggregates.
            "SELECT partition, max(next_offset) AS last_offset,
                    argMax(owner_epoch, next_offset) AS last_epoch
             FROM projection_positions
             WHERE projection = ? AND log_epoch = toUUID(?)
             GROUP BY partition",
        )
        .bind(projection)
        .bind(log_epoch.to_string())
        .fetch_all()
        .await?;
    Ok((0..partitions)
        .map(
            |partition| match stored.iter().find(|p| p.partition == partition) {
                Some(p) => PartitionStart {
                    partition,
                    next_offset: p.next_offset,
                    epoch: (p.owner_epoch >= 0).then_some(p.owner_epoch),
                },
                None => PartitionStart::beginning(partition),
            },
        )
        .collect())
}

/// Records `advances` as the new positions of `projection`. Call only after the facts they
/// cover were inserted.
pub async fn store_positions(
    client: &Client,
    projection: &str,
    log_epoch: Uuid,
    advances: &[Advance],
) -> Result<(), ProjectorError> {
    let written_at = u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(u32::MAX);
    let mut insert = client.insert::<PositionRow>("projection_positions").await?;
    for advance in advances {
        insert
            .write(&PositionRow {
                projection: projection.to_string(),
                log_epoch,
                partition: advance.partition,
                next_offset: advance.next_offset,
                owner_epoch: advance.epoch.unwrap_or(-1),
                written_at,
                version: u64::try_from(advance.next_offset).unwrap_or(0),
            })
            .await?;
    }
    insert.end().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_files_split_into_statements_without_comments() {
        for (file, ddl) in DDL {
            let statements = statements(ddl);
            assert_eq!(statements.len(), 1, "{file}");
            assert!(
                statements[0].starts_with("CREATE TABLE IF NOT EXISTS")
                    || statements[0].starts_with("CREATE VIEW IF NOT EXISTS"),
                "{file}"
            );
        }
    }

    #[test]
    fn database_names_with_quotes_or_spaces_are_refused() {
        assert!(is_plain_identifier("t_projectors_0a1b"));
        assert!(!is_plain_identifier("agora; DROP"));
        assert!(!is_plain_identifier("1agora"));
        assert!(!is_plain_identifier(""));
    }
}
