//! The scenarios of issue 8, each against the running platform of [`Bench`].
//!
//! Every scenario returns its figures as JSON (the report's `scenarios.<name>`); the goals are
//! judged from them in [`crate::report`].

pub mod checkout;
pub mod commands;
pub mod flash_sale;
pub mod graphql;
pub mod projection;
pub mod replay;

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    client::Api,
    load::{LoadResult, Op, closed, open},
    namespace::BenchNamespace,
    options::Options,
    services::{Launcher, Platform},
    shop::Catalog,
};

/// Everything a scenario needs: the options, the namespace, the running services, clients for
/// both APIs and the read models, and the catalog opened at the start.
pub struct Bench {
    /// What was asked.
    pub options: Options,
    /// The run's topics and databases.
    pub namespace: BenchNamespace,
    /// Starts service processes.
    pub launcher: Launcher,
    /// The running services.
    pub platform: Platform,
    /// The shared HTTP client.
    pub http: reqwest::Client,
    /// Both APIs.
    pub api: Api,
    /// The run's read models.
    pub db: PgPool,
    /// The shop's products.
    pub catalog: Catalog,
}

impl Bench {
    /// Largest number of operations an open loop keeps in flight.
    pub fn max_in_flight(&self) -> usize {
        self.options.sizes.clients * 64
    }

    /// A closed loop at the configured concurrency, then an open loop at half the rate it
    /// reached (for latency), both for one phase.
    pub async fn closed_then_half(&self, op: Op) -> (LoadResult, LoadResult) {
        self.closed_then_half_with(self.options.sizes.clients, op)
            .await
    }

    /// [`closed_then_half`](Self::closed_then_half) with `clients` in the closed loop.
    pub async fn closed_then_half_with(&self, clients: usize, op: Op) -> (LoadResult, LoadResult) {
        let sizes = &self.options.sizes;
        let closed = closed::run(clients, sizes.phase, op.clone()).await;
        let open = open::run(
            (closed.per_second / 2.0).max(1.0),
            sizes.phase,
            self.max_in_flight(),
            op,
        )
        .await;
        (closed, open)
    }
}

/// A load result as the report stores it, with extra fields.
pub fn with(result: &LoadResult, extra: Value) -> Value {
    let mut value = json!(result);
    if let (Some(object), Value::Object(extra)) = (value.as_object_mut(), extra) {
        object.extend(extra);
    }
    value
}

/// Polls `check` every `every` until it returns `Some`, for at most `limit`.
pub async fn poll<T, F, Fut>(limit: Duration, every: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(every).await;
    }
}
