//! The data-access layer: every SQL statement of the query side lives in this module.
//!
//! Keeping SQL here keeps resolvers free of it and lets [`Store`] count statements, which is
//! how the tests prove that a page costs a small, constant number of queries (no N+1).
//!
//! # Layout
//! - [`products`]: product pages (filters, full-text search, keyset), look-ups and variants.
//! - [`inventory`]: availability per SKU.
//! - [`checkpoints`]: projection positions, for read-your-writes.
//! - [`facets`]: facet counts of a listing and category counts.
//! - [`order_updates`]: the order slice subscriptions push.
//! - [`orders`], [`carts`], [`customers`]: orders (lines, history, payments), carts,
//!   customers and their notifications.
//! - [`admin`]: staff views: low stock, reservations, coupons, dead letters, projections.
//! - [`analytics`]: sales analytics, the only reads from ClickHouse.

pub mod admin;
pub mod analytics;
pub mod carts;
pub mod checkpoints;
pub mod customers;
pub mod facets;
pub mod inventory;
pub mod order_updates;
pub mod orders;
pub mod products;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use sqlx::PgPool;

use crate::error::QueryError;

/// Handle on the read models: a connection pool plus a statement counter.
#[derive(Debug, Clone)]
pub struct Store {
    pool: PgPool,
    statements: Arc<AtomicU64>,
    analytics: analytics::Analytics,
}

impl Store {
    /// Wraps a pool, with analytics read from `analytics`.
    pub fn new(pool: PgPool, analytics: analytics::Analytics) -> Self {
        Self {
            pool,
            statements: Arc::default(),
            analytics,
        }
    }

    /// How many read-model statements this store (and its clones) has run.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Whether Postgres answers and the read models this service reads exist (`/readyz`).
    pub async fn ready(&self) -> Result<bool, QueryError> {
        // Not counted: health probes are not part of answering queries.
        let ready: bool = sqlx::query_scalar(
            "SELECT to_regclass('catalog_products') IS NOT NULL
                AND to_regclass('catalog_variants') IS NOT NULL
                AND to_regclass('inventory_items') IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(ready)
    }

    /// The `/readyz` report: Postgres with the read models (every query needs them) and
    /// ClickHouse (the analytics queries), each bounded by `timeout`.
    pub async fn readiness(&self, timeout: std::time::Duration) -> runtime::health::Report {
        let postgres = async {
            match tokio::time::timeout(timeout, self.ready()).await {
                Ok(Ok(true)) => Ok(()),
                Ok(Ok(false)) => {
                    Err("read models missing (run the projector's migrations)".to_string())
                }
                Ok(Err(error)) => Err(format!("unreachable: {error}")),
                Err(_) => Err(format!("no answer within {timeout:?}")),
            }
        };
        let clickhouse = async {
            match tokio::time::timeout(timeout, self.analytics.ping()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(format!("unreachable: {error}")),
                Err(_) => Err(format!("no answer within {timeout:?}")),
            }
        };
        let (postgres, clickhouse) = tokio::join!(postgres, clickhouse);
        runtime::health::Report::from_outcomes([("postgres", postgres), ("clickhouse", clickhouse)])
    }

    /// The pool, for a statement about to run; counts it.
    fn counted(&self) -> &PgPool {
        self.statements.fetch_add(1, Ordering::Relaxed);
        &self.pool
    }
}
