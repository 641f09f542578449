//! The Postgres pool of the command API.
//!
//! The API reads read models (catalog prices, carts, credentials) to put looked-up values into
//! commands, and keeps a few tables of its own (`command-api/migrations`, versions from 1000),
//! migrated at startup, so the API needs Postgres to start. Connections are opened on demand.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgPoolOptions};

/// `DATABASE_URL` when unset: the local stack's read-model database.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/agora?sslmode=disable";

/// Postgres migrations of the command API's own tables (`command-api/migrations`, versions from
/// 1000). The projectors keep their read models (versions below 1000) in the same database, so
/// each migrator ignores versions it does not know instead of refusing to run.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations")
};

/// A lazily connecting pool for `url`.
pub fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(url)
}

/// Whether Postgres answers on `pool` (a readiness probe): `Err` says why not.
pub async fn answers(pool: &PgPool) -> Result<(), String> {
    sqlx::query("SELECT 1")
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(|error| format!("unreachable: {error}"))
}
