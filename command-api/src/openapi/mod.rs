//! The command API described from its own code: an OpenAPI 3.0 document at `GET /openapi.json`
//! and a self-contained HTML page at `GET /docs`.
//!
//! Both are rendered from one table of operations ([`operations::OPERATIONS`]); request body
//! schemas are generated with `schemars` from the very types the handlers deserialize, so a
//! changed field shows up here without anyone editing the docs. `tests/openapi.rs` checks the
//! table against the routes registered in the source and snapshots the document.
//!
//! # Layout
//! - [`codes`]: the stable error codes and their statuses.
//! - [`components`]: the envelope and shared answers, as component schemas.
//! - [`model`]: what one operation says (method, path, role, body, answer, errors).
//! - [`operations`]: the table of every operation.
//! - [`document`]: the OpenAPI JSON.
//! - [`page`]: the `/docs` HTML page.
//! - [`schema_impls`]: schemas of body parts defined outside the route modules.

pub mod codes;
pub mod components;
pub mod document;
pub mod model;
pub mod operations;
pub mod page;
pub mod schema_impls;

use axum::{Json, Router, response::Html, routing::get};
use serde_json::Value;

/// `GET /openapi.json` and `GET /docs`; they read no state, so they merge into any router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs))
}

/// `GET /openapi.json`
async fn openapi_json() -> Json<Value> {
    Json(document::build())
}

/// `GET /docs`
async fn docs() -> Html<String> {
    Html(page::render(&document::build()))
}
