//! Command routes, one module per resource, plus the health endpoints.

pub mod auth;
pub mod carts;
pub mod coupons;
pub mod customers;
pub mod health;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod products;
pub mod send;

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{
    auth::{Caller, Role},
    error::ApiError,
    startup::AppState,
};

/// Unwraps a JSON body or reports it in the error envelope.
pub fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload.map(|Json(value)| value).map_err(ApiError::from)
}

/// Sends one command to one stream on behalf of staff and answers with the outcome.
pub async fn staff_command(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    stream: String,
    command: Value,
) -> Result<Response, ApiError> {
    caller.require(Role::Staff)?;
    send::one_command(state, caller, headers, route, stream, command, json!({})).await
}

/// 404 in the envelope for unknown routes.
pub async fn not_found() -> Response {
    ApiError::Refused(schemas::RejectionReason {
        code: "route_not_found".into(),
        kind: domain::ErrorKind::NotFound,
        message: "no such endpoint".into(),
    })
    .into_response()
}
