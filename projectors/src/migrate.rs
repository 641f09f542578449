//! `agora-projector migrate`: stores created and at the current schema, and derived state that
//! belongs to the log the broker holds.
//!
//! The local broker keeps its log in memory, so a restarted broker is a new log with a new log
//! epoch. Read models built from the old log would then describe events that no longer exist;
//! migrate notices the epoch change and resets every derived table, loudly, before anything
//! reads from them.

use std::str::FromStr;

use clickhouse::Client;
use sqlx::{
    Connection, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use uuid::Uuid;

use crate::{analytics, config::Config, error::ProjectorError};

/// Postgres migrations of the read models (`projectors/migrations`, versions below 1000).
///
/// The command API keeps its own tables (versions from 1000) in the same database, so each
/// migrator ignores versions it does not know instead of refusing to run.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations")
};

/// Postgres tables holding state derived from the log, emptied when the log changes.
pub const DERIVED_TABLES: &[&str] = &[
    "catalog_variants",
    "catalog_products",
    "inventory_items",
    "customers",
    "cart_lines",
    "carts",
    "order_status_history",
    "order_lines",
    "orders",
    "payments",
    "coupon_redemptions",
    "coupons",
    "projection_checkpoints",
];

/// Handles on migrated stores.
#[derive(Clone)]
pub struct Stores {
    /// Read-model database, with `search_path` set to the configured schema.
    pub pool: PgPool,
    /// Facts database.
    pub clickhouse: Client,
    /// The log epoch the derived state now belongs to.
    pub log_epoch: Uuid,
}

/// What the epoch check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochCheck {
    /// First run against these stores: the epoch was recorded.
    Recorded,
    /// The stores already belong to the broker's log.
    Unchanged,
    /// The stores held state from `previous`; it was reset.
    Reset {
        /// The epoch the discarded state was built from.
        previous: Uuid,
    },
}

/// Creates and migrates both stores, then aligns them with the broker's log epoch.
pub async fn migrate(config: &Config) -> Result<(Stores, EpochCheck), ProjectorError> {
    ensure_database(&config.database_url).await?;
    let pool = connect(&config.database_url, &config.pg_schema).await?;
    migrate_schema(&pool, &config.pg_schema).await?;
    analytics::migrate(&config.clickhouse_url, &config.clickhouse_database).await?;
    let clickhouse = analytics::client(&config.clickhouse_url, &config.clickhouse_database);
    let log_epoch = runtime::topics::read_log_epoch(&config.kafka)
        .await?
        .ok_or(ProjectorError::NoLogEpoch)?
        .log_epoch;
    let check = align_epoch(&pool, &clickhouse, log_epoch).await?;
    Ok((
        Stores {
            pool,
            clickhouse,
            log_epoch,
        },
        check,
    ))
}

/// A pool on `database_url` whose sessions use `schema`.
pub async fn connect(database_url: &str, schema: &str) -> Result<PgPool, ProjectorError> {
    // Notices ("schema already exists, skipping") are noise in every migrate.
    let options = PgConnectOptions::from_str(database_url)?
        .options([("search_path", schema), ("client_min_messages", "warning")]);
    Ok(PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?)
}

/// Creates `schema` if missing and runs the migrations in it.
pub async fn migrate_schema(pool: &PgPool, schema: &str) -> Result<(), ProjectorError> {
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema)))
        .execute(pool)
        .await?;
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Quotes an identifier for Postgres.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Creates the database named in `database_url` when it does not exist, through the `postgres`
/// database of the same server.
pub async fn ensure_database(database_url: &str) -> Result<(), ProjectorError> {
    let options = PgConnectOptions::from_str(database_url)?;
    let Some(name) = options.get_database().map(str::to_string) else {
        return Err(ProjectorError::Invalid(
            "DATABASE_URL names no database".into(),
        ));
    };
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres")).await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await?;
    if exists.is_none() {
        let created = sqlx::query(&format!("CREATE DATABASE {}", quote(&name)))
            .execute(&mut admin)
            .await;
        match created {
            Ok(_) => tracing::info!(database = %name, "created the read-model database"),
            // Another projector created it at the same moment.
            Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42P04") => {}
            Err(error) => return Err(error.into()),
        }
    }
    admin.close().await?;
    Ok(())
}

/// Records `log_epoch` in `agora_meta`, resetting all derived state first when the stores were
/// built from another log.
pub async fn align_epoch(
    pool: &PgPool,
    clickhouse: &Client,
    log_epoch: Uuid,
) -> Result<EpochCheck, ProjectorError> {
    let mut tx = pool.begin().await?;
    // Serialises concurrent migrates (several replicas starting at once).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('agora-projector-log-epoch'))")
        .execute(&mut *tx)
        .await?;
    let recorded: Option<String> =
        sqlx::query_scalar("SELECT value FROM agora_meta WHERE key = 'log_epoch'")
            .fetch_optional(&mut *tx)
            .await?;
    let previous = recorded
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .ok()
        .flatten();
    let check = match (recorded.as_deref(), previous) {
        (_, Some(previous)) if previous == log_epoch => EpochCheck::Unchanged,
        (None, _) => EpochCheck::Recorded,
        (Some(_), Some(previous)) => EpochCheck::Reset { previous },
        // An unreadable record cannot vouch for the state: treat it as another log.
        (Some(_), None) => EpochCheck::Reset {
            previous: Uuid::nil(),
        },
    };
    if check == EpochCheck::Unchanged {
        tx.commit().await?;
        return Ok(check);
    }
    if let EpochCheck::Reset { previous } = check {
        // ClickHouse first: if we die before the Postgres commit, the next migrate sees the old
        // epoch again and resets again.
        analytics::truncate_all(clickhouse).await?;
        let tables = DERIVED_TABLES.join(", ");
        sqlx::query(&format!("TRUNCATE {tables}"))
            .execute(&mut *tx)
            .await?;
        let message = format!(
            "broker holds a new log (epoch {log_epoch}); derived state from epoch {previous} was reset"
        );
        tracing::warn!(log_epoch = %log_epoch, previous_epoch = %previous, "{message}");
        eprintln!("{message}");
    }
    sqlx::query(
        "INSERT INTO agora_meta (key, value) VALUES ('log_epoch', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    )
    .bind(log_epoch.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(check)
}
