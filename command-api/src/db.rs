//! The Postgres pool of the command API.
//!
//! The API reads read models (catalog prices, carts, credentials) to put looked-up values into
//! commands, and keeps a few tables of its own. The pool connects lazily: the write path keeps
//! working for commands that need no look-up while Postgres is unreachable, and `/readyz` says so.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgPoolOptions};

/// `DATABASE_URL` when unset: the local stack's read-model database.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/agora?sslmode=disable";

/// A lazily connecting pool for `url`.
pub fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(url)
}
