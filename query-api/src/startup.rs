//! Wiring: the connection pool, the router and the server.
//!
//! Routes:
//! - `POST /graphql`: GraphQL queries ([`crate::graphql_http`]).
//! - `GET /graphql`: GraphiQL when enabled (`AGORA_GRAPHIQL`), otherwise 405.
//! - `GET /graphql/ws`: subscriptions over WebSocket (graphql-transport-ws, graphql-ws).
//! - `GET /healthz`: the process is alive.
//! - `GET /readyz`: Postgres answers with the read models, and ClickHouse answers (503 with
//!   a JSON report naming what fails otherwise).
//! - `GET /metrics`: Prometheus metrics (`docs/METRICS.md`); every route is counted and timed.

use std::{net::SocketAddr, str::FromStr, time::Duration};

use anyhow::Context as _;
use async_graphql::http::GraphiQLSource;
use axum::{
    Router,
    extract::State,
    response::Html,
    routing::{get, post},
};
use runtime::shutdown::Shutdown;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{
    auth::Verifier,
    config::Config,
    graphql_http,
    response_cache::ResponseCache,
    schema::{self, AgoraSchema, gate::Gate},
    store::{Store, analytics::Analytics},
    subscriptions,
};

/// How long `/readyz` waits for Postgres before calling the service not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The read models.
    pub store: Store,
    /// The GraphQL schema of `POST /graphql`, with its limits and no extension.
    pub schema: AgoraSchema,
    /// The introspection limit and error codes around [`Self::schema`].
    pub gate: Gate,
    /// The GraphQL schema of `/graphql/ws`, with the extensions streams need.
    pub streaming_schema: AgoraSchema,
    /// Answers of anonymous catalog reads, by data version.
    pub cache: ResponseCache,
    /// Whether `GET /graphql` serves GraphiQL.
    pub graphiql: bool,
    /// Longest read-your-writes wait of one request.
    pub consistency_wait: Duration,
    /// The order feed and token verifier of `/graphql/ws`.
    pub subscriptions: subscriptions::ws::Endpoint,
    /// Checks the bearer tokens of `/graphql`.
    pub verifier: Verifier,
}

impl AppState {
    /// Builds the state for `config`. The pool connects lazily, so the service starts (and
    /// reports not ready) while Postgres is down.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let timeout_ms = config.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(&config.database_url)
            .context("parsing DATABASE_URL")?
            .application_name("agora-query-api")
            .options([
                ("search_path", config.pg_schema.as_str()),
                ("statement_timeout", timeout_ms.as_str()),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(config.pg_max_connections)
            .acquire_timeout(config.pg_acquire_timeout)
            .connect_lazy_with(options);
        Ok(Self {
            subscriptions: subscriptions::ws::Endpoint {
                feed: subscriptions::OrderFeed::new(pool.clone(), &config.pg_schema),
                verifier: crate::auth::Verifier::from_secret(&config.jwt_secret),
            },
            consistency_wait: config.consistency_wait,
            verifier: Verifier::from_secret(&config.jwt_secret),
            store: Store::new(
                pool,
                Analytics::new(&config.clickhouse_url, &config.clickhouse_database),
            ),
            schema: schema::build(config.limits),
            gate: Gate::new(config.limits),
            streaming_schema: schema::build_streaming(config.limits),
            cache: ResponseCache::new(config.response_cache_entries),
            graphiql: config.graphiql,
        })
    }
}

/// Largest request body `/graphql` reads: 64 KiB, far above any real document and its
/// variables (the introspection query is about 3 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The HTTP router over `state` (tests call it in-process).
pub fn router(state: AppState) -> Router {
    let graphql_route = if state.graphiql {
        post(graphql_http::graphql).get(graphiql)
    } else {
        post(graphql_http::graphql)
    };
    Router::new()
        .route("/graphql", graphql_route)
        .route("/graphql/ws", get(subscriptions::ws::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(runtime::metrics::router())
        // A GraphQL document is small; anything bigger is refused (413) before it is read, so a
        // 32 MiB query cannot make the parser and validator work through it.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn(runtime::metrics::track_http))
        .with_state(state)
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

async fn readyz(State(state): State<AppState>) -> runtime::health::Report {
    state.store.readiness(READY_TIMEOUT).await
}

/// The bound server, ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    addr: SocketAddr,
}

impl Application {
    /// Binds `config.addr` (port 0 picks a free port) and builds the router.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let state = AppState::new(&config)?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        Ok(Self {
            listener,
            router: router(state),
            addr,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` is triggered, then lets requests in flight finish.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(addr = %self.addr, "query api listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await
            .context("serving HTTP")?;
        tracing::info!("query api stopped");
        Ok(())
    }
}
