//! Stock commands: receive, adjust with a reason, set the low-stock threshold.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
    response::Response,
};
use domain::values::Sku;
use serde::Deserialize;
use serde_json::json;

use super::{body, staff_command};
use crate::{auth::Caller, error::ApiError, startup::AppState};

/// Body of `POST /inventory/{sku}/receive`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receive {
    /// Units received (> 0).
    pub quantity: u32,
}

/// Body of `POST /inventory/{sku}/adjust`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjust {
    /// Signed change of on-hand stock (≠ 0).
    pub delta: i64,
    /// Why (stock count, damage, …).
    pub reason: String,
}

/// Body of `PUT /inventory/{sku}/low-stock-threshold`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Available units at or below which the SKU counts as low on stock.
    pub threshold: u32,
}

fn stream(sku: &str) -> Result<String, ApiError> {
    let sku = Sku::parse(sku).map_err(|error| ApiError::field("sku", error.to_string()))?;
    Ok(domain::inventory::stream_id(&sku))
}

/// `POST /inventory/{sku}/receive`
pub async fn receive(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(sku): Path<String>,
    payload: Result<Json<Receive>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Receive { quantity } = body(payload)?;
    let command = json!({ "type": "ReceiveStock", "data": { "quantity": quantity } });
    staff_command(
        &state,
        &caller,
        &headers,
        "inventory.receive",
        stream(&sku)?,
        command,
    )
    .await
}

/// `POST /inventory/{sku}/adjust`
pub async fn adjust(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(sku): Path<String>,
    payload: Result<Json<Adjust>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Adjust { delta, reason } = body(payload)?;
    let command = json!({ "type": "AdjustStock", "data": { "delta": delta, "reason": reason } });
    staff_command(
        &state,
        &caller,
        &headers,
        "inventory.adjust",
        stream(&sku)?,
        command,
    )
    .await
}

/// `PUT /inventory/{sku}/low-stock-threshold`
pub async fn set_threshold(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(sku): Path<String>,
    payload: Result<Json<Threshold>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Threshold { threshold } = body(payload)?;
    let command = json!({ "type": "SetLowStockThreshold", "data": { "threshold": threshold } });
    staff_command(
        &state,
        &caller,
        &headers,
        "inventory.threshold",
        stream(&sku)?,
        command,
    )
    .await
}
