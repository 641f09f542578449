//! Building and running the HTTP command API.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post, put},
};
use runtime::{config::KafkaConfig, shutdown::Shutdown};
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::{
    auth::Keys,
    config::ApiConfig,
    dispatch::Dispatcher,
    http::{
        rate_limit::CommandLimiter,
        routes::{health, inventory, not_found, products},
    },
};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Sends commands and awaits replies.
    pub dispatcher: Dispatcher,
    /// Token keys.
    pub keys: Arc<Keys>,
    /// The log epoch in force, written into consistency tokens.
    pub log_epoch: Uuid,
    /// Broker settings.
    pub kafka: KafkaConfig,
    /// The `/readyz` checks (broker, Postgres).
    pub readiness: runtime::health::Readiness,
    /// Postgres: read-model look-ups (prices, carts, credentials) and the API's own tables.
    pub db: sqlx::PgPool,
}

/// The routes of the command API, without a command rate limit (in-process tests).
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    router_with_rate_limit(state, max_body_bytes, None)
}

/// The routes of the command API; with `rate_limit`, every command route (not the probes,
/// metrics or docs) first draws from its caller's bucket.
pub fn router_with_rate_limit(
    state: AppState,
    max_body_bytes: usize,
    rate_limit: Option<CommandLimiter>,
) -> Router {
    let mut commands = Router::new()
        .route("/products", post(products::create))
        .route(
            "/products/{id}",
            axum::routing::patch(products::update).delete(products::delete),
        )
        .route("/products/{id}/publish", post(products::publish))
        .route("/products/{id}/unpublish", post(products::unpublish))
        .route("/products/{id}/variants", post(products::add_variant))
        .route(
            "/products/{id}/variants/{sku}/price",
            put(products::change_price),
        )
        .route(
            "/products/{id}/variants/{sku}/retire",
            post(products::retire_variant),
        )
        .route("/inventory/{sku}/receive", post(inventory::receive))
        .route("/inventory/{sku}/adjust", post(inventory::adjust))
        .route(
            "/inventory/{sku}/low-stock-threshold",
            put(inventory::set_threshold),
        )
        .merge(crate::http::routes::auth::routes())
        .merge(crate::http::routes::customers::routes())
        .merge(crate::http::routes::carts::routes())
        .merge(crate::http::routes::orders::routes())
        .merge(crate::http::routes::coupons::routes())
        .merge(crate::http::routes::payments::routes());
    if let Some(limiter) = rate_limit {
        // A route layer: only requests that match a command route count, so a client probing
        // unknown paths gets its 404s without spending its budget.
        commands = commands.route_layer(axum::middleware::from_fn_with_state(
            limiter,
            crate::http::rate_limit::limit,
        ));
    }
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(commands)
        .merge(crate::openapi::routes())
        .merge(runtime::metrics::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(
            crate::error::envelope_framework_errors,
        ))
        // Outside the envelope middleware, so the status recorded is the one sent.
        .layer(axum::middleware::from_fn(runtime::metrics::track_http))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // The request span continues the caller's `traceparent`; commands carry it on.
        .layer(TraceLayer::new_for_http().make_span_with(runtime::trace_context::http_span))
        .with_state(state)
}

/// The command API, bound and ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    dispatcher: Dispatcher,
}

impl Application {
    /// Connects to the broker, reads the log epoch and binds the listener.
    pub async fn build(config: ApiConfig, shutdown: Shutdown) -> anyhow::Result<Self> {
        let epoch = runtime::topics::read_log_epoch(&config.kafka)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("the broker holds no Agora log yet: run `agora-admin topics`")
            })?;
        let dispatcher = Dispatcher::start(&config.kafka, config.reply_timeout, shutdown).await?;
        let db = crate::db::connect(&config.database_url)?;
        crate::db::MIGRATOR.run(&db).await?;
        let keys = Arc::new(Keys::from_secret(&config.jwt_secret));
        let rate_limit = config.command_rate.map(|limit| {
            tracing::info!(
                rate.per_second = limit.per_second,
                rate.burst = limit.burst,
                "per-caller command rate limit on"
            );
            CommandLimiter::new(limit, keys.clone(), config.client_ip_header.clone())
        });
        let state = AppState {
            dispatcher: dispatcher.clone(),
            keys,
            log_epoch: epoch.log_epoch,
            kafka: config.kafka.clone(),
            readiness: health::readiness(&config.kafka, &db),
            db,
        };
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        Ok(Self {
            listener,
            router: router_with_rate_limit(state, config.max_body_bytes, rate_limit),
            dispatcher,
        })
    }

    /// The address actually bound (port 0 picks one).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until shutdown, letting requests in flight finish, then waits for the reply
    /// listener to close its consumer.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> std::io::Result<()> {
        // Connection info gives the login throttle and the command rate limit the client's
        // address.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
        self.dispatcher.drained().await;
        served
    }
}
