//! # query-api
//!
//! Agora's read side: one GraphQL endpoint over the Postgres read models the projectors keep
//! (catalog, inventory, customers, carts, orders, coupons, notifications, projection
//! bookkeeping), plus sales analytics from ClickHouse. It never writes.
//!
//! # Layout
//! - [`config`]: settings from the environment, with their defaults.
//! - [`startup`]: the connection pool, the axum router (`/graphql`, `/healthz`, `/readyz`,
//!   `/metrics`) and [`startup::Application`], which binds and serves until shutdown.
//! - [`graphql_http`]: `POST /graphql`: token, gate, cache, execution, metrics.
//! - [`response_cache`]: answers of anonymous catalog reads, kept per data version.
//! - [`error`]: [`error::QueryError`], the one error type resolvers return, and its `code`.
//! - [`observe`]: the GraphQL metrics (operation durations, errors by code, stale answers).
//! - [`consistency`]: read-your-writes: the `x-consistency-token` header and bounded waits.
//! - [`subscriptions`]: the order-change feed (Postgres LISTEN) behind GraphQL subscriptions.
//! - [`store`]: the data-access layer: every SQL statement lives here, and each one is counted.
//! - [`schema`]: the GraphQL schema, one module per resource (`products`, `orders`, `admin`, …), plus
//!   limits, error codes and the SDL export.
//! - [`loaders`]: request-scoped DataLoaders, so each relation costs one query per request.
//! - [`pagination`]: Relay connections: page sizes, opaque cursors, `PageInfo`.
//! - [`auth`]: verifying the bearer JWTs command-api issues.
//! - [`viewer`]: who is asking (from the token) and what they may see.

pub mod auth;
pub mod config;
pub mod consistency;
pub mod error;
pub mod graphql_http;
pub mod loaders;
pub mod observe;
pub mod pagination;
pub mod response_cache;
pub mod schema;
pub mod startup;
pub mod store;
pub mod subscriptions;
pub mod viewer;
