//! Coupon commands (staff): create and disable.

use axum::{
    Json, Router,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
    response::Response,
    routing::post,
};
use chrono::{DateTime, Utc};
use domain::{
    coupon::{Discount, stream_id},
    values::{CouponCode, Money},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{body, staff_command};
use crate::{auth::Caller, error::ApiError, startup::AppState};

/// Routes under `/coupons`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coupons", post(create))
        .route("/coupons/{code}/disable", post(disable))
}

/// Body of `POST /coupons`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCoupon {
    /// The code customers type.
    pub code: CouponCode,
    /// Percentage (basis points) or fixed amount.
    pub discount: Discount,
    /// Smallest order subtotal it applies to.
    #[serde(default)]
    pub min_order_value: Option<Money>,
    /// Valid from (inclusive).
    pub valid_from: DateTime<Utc>,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// Redemptions allowed in total.
    #[serde(default)]
    pub global_limit: Option<u32>,
    /// Redemptions allowed per customer.
    #[serde(default)]
    pub per_customer_limit: Option<u32>,
}

/// `POST /coupons`
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    payload: Result<Json<CreateCoupon>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(payload)?;
    let stream = stream_id(&request.code);
    let data = serde_json::to_value(&request).map_err(|e| ApiError::Internal(e.into()))?;
    let command = json!({ "type": "CreateCoupon", "data": data });
    staff_command(&state, &caller, &headers, "coupons.create", stream, command).await
}

/// `POST /coupons/{code}/disable`
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let code =
        CouponCode::parse(&code).map_err(|_| ApiError::field("code", "not a valid coupon code"))?;
    let command = json!({ "type": "DisableCoupon", "data": {} });
    staff_command(
        &state,
        &caller,
        &headers,
        "coupons.disable",
        stream_id(&code),
        command,
    )
    .await
}
