//! Paying for an order: starts a payment; the checkout saga asks the payment provider to
//! authorize and capture it, then marks the order paid.
//!
//! The request can wait (bounded) for the provider's verdict (`captured`, `declined`, `failed`)
//! or answer while the payment is still being processed. Locally the provider is simulated and
//! test card numbers stand in for instrument tokens (see `saga::provider`).

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
    response::Response,
    routing::post,
};
use domain::payment::stream_id;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{body, send::may_act_for};
use crate::{
    auth::Caller,
    commands::{self, RequestIdentity, derived_id},
    error::ApiError,
    lookups,
    startup::AppState,
};

/// Longest a payment request waits for the provider's verdict.
const PAYMENT_WAIT: Duration = Duration::from_secs(10);

/// Routes for payments.
pub fn routes() -> Router<AppState> {
    Router::new().route("/orders/{order_id}/payments", post(pay))
}

/// Body of `POST /orders/{id}/payments`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pay {
    /// The provider's token for the card or wallet (locally: a test card number).
    pub instrument_token: String,
    /// `card` (default) or `wallet`.
    #[serde(default = "card")]
    pub method: String,
    /// Wait for the provider's verdict (default true).
    #[serde(default = "yes")]
    pub wait: bool,
}

fn card() -> String {
    "card".into()
}

fn yes() -> bool {
    true
}

/// `POST /orders/{id}/payments`
pub async fn pay(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    payload: Result<Json<Pay>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(payload)?;
    if !matches!(request.method.as_str(), "card" | "wallet") {
        return Err(ApiError::field("method", "must be card or wallet"));
    }
    super::send::honour_token(&state, &headers, "orders").await?;
    let not_found = || {
        ApiError::Refused(schemas::RejectionReason {
            code: "order_not_found".into(),
            kind: domain::ErrorKind::NotFound,
            message: "no such order".into(),
        })
    };
    let order = lookups::order(&state.db, order_id)
        .await?
        .ok_or_else(not_found)?;
    if !may_act_for(&caller, Some(order.customer_id)) {
        return Err(not_found());
    }
    if order.status != "confirmed" {
        return Err(ApiError::Refused(schemas::RejectionReason {
            code: "order_not_payable".into(),
            kind: domain::ErrorKind::Conflict,
            message: format!("an order that is {} cannot be paid", order.status),
        }));
    }
    let identity = RequestIdentity::from_request(
        &headers,
        &caller,
        "orders.pay",
        &json!({ "order": order_id, "instrument": request.instrument_token, "method": request.method }),
    )?;
    let payment_id = derived_id(identity.command_id, "payment");
    let stream = stream_id(payment_id);
    let command = json!({ "type": "InitiatePayment", "data": {
        "payment_id": payment_id,
        "order_id": order_id,
        "amount": order.total,
        "method": request.method,
        "instrument_token": request.instrument_token,
        "idempotency_key": identity.command_id.to_string(),
    }});
    let envelope = commands::envelope(
        &identity,
        identity.command_id,
        &caller,
        stream.clone(),
        command,
    );
    let Some(accepted) = commands::send(&state, &envelope, identity.traceparent.as_deref()).await?
    else {
        return Ok(commands::pending_response(
            identity.command_id,
            &stream,
            json!({ "payment_id": payment_id }),
        ));
    };
    let status = if request.wait {
        await_payment(&state, payment_id).await?
    } else {
        None
    };
    Ok(commands::accepted_response(
        &state,
        identity.command_id,
        &stream,
        &[accepted],
        json!({ "payment_id": payment_id, "order_id": order_id, "payment_status": status.as_deref().unwrap_or("processing") }),
    ))
}

/// Polls the payments read model for a verdict (bounded).
async fn await_payment(state: &AppState, payment_id: Uuid) -> Result<Option<String>, ApiError> {
    let deadline = tokio::time::Instant::now() + PAYMENT_WAIT;
    loop {
        let status: Option<(String,)> =
            sqlx::query_as("SELECT status FROM payments WHERE payment_id = $1")
                .bind(payment_id)
                .fetch_optional(&state.db)
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
        if let Some((status,)) = status
            && matches!(
                status.as_str(),
                "captured" | "declined" | "failed" | "refunded"
            )
        {
            return Ok(Some(status));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
