//! Shared set-up for the integration tests: a private Postgres database per test with the
//! projectors' migrations applied and a small catalog written straight into the read models,
//! and helpers to call the router in-process.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use std::path::Path;

use anyhow::Context;
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use query_api::{
    config::Config,
    startup::{AppState, router},
};
use runtime::testing::TestNamespace;
use serde_json::{Value, json};
use sqlx::{PgPool, migrate::Migrator};
use tower::ServiceExt;
use uuid::Uuid;

pub mod catalog;
pub mod commerce;
pub mod write_side;

/// The query service over a seeded read-model database.
pub struct TestApp {
    /// The router's state (its store counts statements).
    pub state: AppState,
    /// A direct connection to the namespace's database, for set-up.
    pub pool: PgPool,
    /// The settings the state was built from (the namespace's databases).
    pub config: Config,
}

impl TestApp {
    /// A fresh database with the read-model tables and the test catalog.
    pub async fn seeded(label: &str) -> anyhow::Result<Self> {
        let app = Self::migrated(label).await?;
        catalog::seed(&app.pool).await?;
        Ok(app)
    }

    /// A fresh database with the read-model tables, empty.
    pub async fn migrated(label: &str) -> anyhow::Result<Self> {
        let (pool, config) = database(label).await?;
        let migrations = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../projectors/migrations"
        ));
        Migrator::new(migrations)
            .await
            .context("loading the projectors' migrations")?
            .run(&pool)
            .await
            .context("applying the projectors' migrations")?;
        Ok(Self {
            state: AppState::new(&config)?,
            pool,
            config,
        })
    }

    /// A fresh database without any table.
    pub async fn unmigrated(label: &str) -> anyhow::Result<Self> {
        let (pool, config) = database(label).await?;
        Ok(Self {
            state: AppState::new(&config)?,
            pool,
            config,
        })
    }

    /// Runs a GraphQL query through the router and returns the response body.
    pub async fn query(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        post_graphql(router(self.state.clone()), query, variables).await
    }

    /// Statements the service has run so far.
    pub fn statements(&self) -> u64 {
        self.state.store.statements()
    }
}

async fn database(label: &str) -> anyhow::Result<(PgPool, Config)> {
    if std::env::var("TEST_LOG").is_ok() {
        runtime::telemetry::init("query-api-tests");
    }
    let namespace = TestNamespace::create(label).await?;
    let pool = PgPool::connect(&namespace.database_url)
        .await
        .context("connecting to the test database")?;
    let mut config = Config::for_database(&namespace.database_url);
    // The namespace's own ClickHouse database, for the analytics tests.
    config.clickhouse_url = namespace.clickhouse_url.clone();
    config.clickhouse_database = namespace.clickhouse_database.clone();
    Ok((pool, config))
}

/// State whose database cannot be reached: for tests where no SQL may run.
pub fn state_without_database() -> anyhow::Result<AppState> {
    AppState::new(&config_without_database())
}

/// Settings pointing at a database that cannot be reached, failing fast.
pub fn config_without_database() -> Config {
    let mut config = Config::for_database("postgres://nobody@127.0.0.1:1/nothing?sslmode=disable");
    config.pg_acquire_timeout = std::time::Duration::from_millis(200);
    config
}

/// POSTs a GraphQL request to `/graphql` in-process; the body must be JSON with status 200.
pub async fn post_graphql(router: Router, query: &str, variables: Value) -> anyhow::Result<Value> {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))?;
    let (status, body) = send(router, request).await?;
    anyhow::ensure!(status == StatusCode::OK, "status {status}: {body}");
    serde_json::from_str(&body).with_context(|| format!("response is not JSON: {body}"))
}

/// GETs `path` in-process.
pub async fn get(router: Router, path: &str) -> anyhow::Result<(StatusCode, String)> {
    send(router, Request::get(path).body(Body::empty())?).await
}

async fn send(router: Router, request: Request<Body>) -> anyhow::Result<(StatusCode, String)> {
    let response = router.oneshot(request).await?;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await?;
    Ok((status, String::from_utf8(bytes.to_vec())?))
}

/// The `data` of a response that must have no errors.
pub fn data(response: &Value) -> anyhow::Result<&Value> {
    anyhow::ensure!(
        response.get("errors").is_none(),
        "unexpected errors: {response}"
    );
    response.get("data").context("response has no data")
}

/// Names of the nodes of `data.products`.
pub fn product_names(data: &Value) -> Vec<String> {
    data["products"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|edge| edge["node"]["name"].as_str().map(str::to_string))
        .collect()
}

/// Id of the `n`th product of the test catalog.
pub fn product_id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}
