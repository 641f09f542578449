//! # query-api
//!
//! Agora's read side: one GraphQL endpoint over the Postgres read models the projectors keep
//! (catalog and inventory so far). It never writes; every answer comes from the read models.
//!
//! # Layout
//! - [`config`]: settings from the environment, with their defaults.
//! - [`startup`]: the connection pool, the axum router (`/graphql`, `/healthz`, `/readyz`) and
//!   [`startup::Application`], which binds and serves until shutdown.
//! - [`error`]: [`error::QueryError`], the one error type resolvers return, and its `code`.
//! - [`store`]: the data-access layer: every SQL statement lives here, and each one is counted.
//! - [`schema`]: the GraphQL schema, one module per resource (`products`, `inventory`), plus
//!   limits, error codes and the SDL export.
//! - [`loaders`]: request-scoped DataLoaders, so each relation costs one query per request.
//! - [`pagination`]: Relay connections: page sizes, opaque cursors, `PageInfo`.
//! - [`viewer`]: who is asking (anonymous until the auth issue) and what they may see.

pub mod config;
pub mod error;
pub mod loaders;
pub mod pagination;
pub mod schema;
pub mod startup;
pub mod store;
pub mod viewer;
