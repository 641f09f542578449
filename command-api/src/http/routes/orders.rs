//! Checkout and order commands: place an order from a cart, cancel it, and the staff steps
//! (ship, deliver, refund).
//!
//! Checkout only *places* the order; the checkout saga reserves stock, redeems the coupon and
//! confirms or rejects it. `POST /checkout` can wait (bounded) for that outcome and report it,
//! or answer `202` with the order id to poll.

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{Path, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use domain::{
    coupon::Discount,
    order::{OrderLine, stream_id},
    values::{Address, Money},
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    body,
    carts::customer_cart_id,
    send::{customer_id, honour_token, may_act_for, one_command},
};
use crate::{
    auth::{Caller, Role},
    commands::{self, RequestIdentity, derived_id},
    error::ApiError,
    lookups,
    startup::AppState,
};

/// Longest a checkout waits for the saga's verdict before answering 202.
const CHECKOUT_WAIT: Duration = Duration::from_secs(10);

/// Routes for checkout and orders.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkout", post(checkout))
        .route("/orders/{order_id}/cancel", post(cancel))
        .route("/orders/{order_id}/ship", post(ship))
        .route("/orders/{order_id}/deliver", post(deliver))
        .route("/orders/{order_id}/refund", post(refund))
}

/// Body of `POST /checkout`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Checkout {
    /// The cart to check out; defaults to the caller's own cart.
    #[serde(default)]
    pub cart_id: Option<Uuid>,
    /// Where to ship.
    pub shipping_address: Address,
    /// Wait for confirmation or rejection (default true).
    #[serde(default = "yes")]
    pub wait: bool,
}

fn yes() -> bool {
    true
}

/// Body of `POST /orders/{id}/ship`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ship {
    /// Carrier name.
    pub carrier: String,
    /// Carrier's tracking number.
    pub tracking_number: String,
}

/// Body of `POST /orders/{id}/refund`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    /// Amount to refund (≤ what was paid and not yet refunded).
    pub amount: Money,
    /// Why.
    pub reason: String,
}

fn money_error(error: impl std::fmt::Display) -> ApiError {
    ApiError::field("cart", format!("cannot price the cart: {error}"))
}

/// `POST /checkout`: places an order for the caller's cart.
pub async fn checkout(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    payload: Result<Json<Checkout>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(payload)?;
    let customer = customer_id(&caller)?;
    request.shipping_address.validate().map_err(|error| {
        ApiError::field(
            &format!("shipping_address.{}", error.field),
            "is required or too long",
        )
    })?;
    let cart_id = request
        .cart_id
        .unwrap_or_else(|| customer_cart_id(customer));
    honour_token(&state, &headers, "carts").await?;
    let cart = lookups::cart(&state.db, cart_id)
        .await?
        .ok_or_else(|| ApiError::field("cart_id", "no such cart"))?;
    if !may_act_for(&caller, cart.customer_id) {
        return Err(ApiError::Forbidden(
            "this cart belongs to another customer".into(),
        ));
    }
    // The request is what the client sent: its cart and address, not the cart's lines, which
    // the first attempt's order empties.
    let identity = RequestIdentity::from_request(
        &headers,
        &caller,
        "checkout",
        &json!({ "cart_id": cart_id, "address": request.shipping_address }),
    )?;
    let order_id = derived_id(identity.command_id, "order");
    let stream = stream_id(order_id);
    // A retry whose first attempt placed the order (and emptied the cart) gets that order:
    // the processors know the command id and answer with the original outcome, whatever the
    // body. Without that order an empty cart really is empty.
    let placed_before = if cart.lines.is_empty() && headers.contains_key("idempotency-key") {
        lookups::order(&state.db, order_id)
            .await?
            .filter(|order| order.customer_id == customer)
    } else {
        None
    };
    let lines: Vec<OrderLine> = cart
        .lines
        .iter()
        .zip(1u32..)
        .map(|(line, number)| OrderLine {
            line: number,
            sku: line.sku.clone(),
            product_id: line.product_id,
            quantity: line.quantity,
            unit_price: line.unit_price,
        })
        .collect();
    let currency = match (lines.first(), &placed_before) {
        (Some(line), _) => line.unit_price.currency,
        (None, Some(order)) => order.total.currency,
        (None, None) => return Err(ApiError::field("cart_id", "the cart is empty")),
    };
    let mut subtotal = Money::zero(currency);
    for line in &lines {
        let amount = line
            .unit_price
            .checked_mul(line.quantity)
            .map_err(money_error)?;
        subtotal = subtotal.checked_add(amount).map_err(money_error)?;
    }
    let discount = match &cart.coupon_code {
        None => Money::zero(subtotal.currency),
        Some(code) => quote(&state, code, subtotal).await?,
    };
    let total = subtotal.checked_sub(discount).map_err(money_error)?;

    let place = json!({ "type": "PlaceOrder", "data": {
        "order_id": order_id,
        "customer_id": customer,
        "lines": lines,
        "subtotal": subtotal,
        "discount": discount,
        "total": total,
        "coupon_code": cart.coupon_code,
        "shipping_address": request.shipping_address,
    }});
    let envelope = commands::envelope(
        &identity,
        identity.command_id,
        &caller,
        stream.clone(),
        place,
    );
    let Some(placed) = commands::send(&state, &envelope, identity.traceparent.as_deref()).await?
    else {
        return Ok(commands::pending_response(
            identity.command_id,
            &stream,
            json!({ "order_id": order_id }),
        ));
    };
    let clear = commands::envelope(
        &identity,
        derived_id(identity.command_id, "clear-cart"),
        &caller,
        domain::cart::stream_id(cart_id),
        json!({ "type": "ClearCart", "data": {} }),
    );
    if let Err(error) = commands::send(&state, &clear, identity.traceparent.as_deref()).await {
        tracing::warn!(%order_id, %error, "order placed but the cart could not be cleared");
    }
    let status = if request.wait {
        await_verdict(&state, order_id).await?
    } else {
        None
    };
    let extra = json!({ "order_id": order_id, "status": status.as_deref().unwrap_or("placed"), "total": total });
    let mut response =
        commands::accepted_response(&state, identity.command_id, &stream, &[placed], extra);
    if status.is_none() && request.wait {
        *response.status_mut() = StatusCode::ACCEPTED;
    }
    Ok(response)
}

/// The discount a coupon grants on `subtotal`, computed with the domain's own rule.
async fn quote(state: &AppState, code: &str, subtotal: Money) -> Result<Money, ApiError> {
    let (kind, value, min_order_minor) = lookups::coupon_terms(&state.db, code)
        .await?
        .ok_or_else(|| ApiError::field("coupon", format!("{code} is not an active coupon")))?;
    if min_order_minor.is_some_and(|min| subtotal.amount_minor < min) {
        return Err(ApiError::field(
            "coupon",
            "the order is below the coupon's minimum",
        ));
    }
    let discount = match kind.as_str() {
        "percentage" => Discount::Percentage {
            basis_points: u32::try_from(value).unwrap_or(0),
        },
        _ => Discount::FixedAmount {
            amount: Money::new(value, subtotal.currency),
        },
    };
    domain::coupon::discount(discount, subtotal)
        .map_err(|reason| ApiError::field("coupon", format!("{reason:?}")))
}

/// Polls the order read model until the saga confirmed or rejected the order (bounded).
async fn await_verdict(state: &AppState, order_id: Uuid) -> Result<Option<String>, ApiError> {
    let deadline = tokio::time::Instant::now() + CHECKOUT_WAIT;
    loop {
        if let Some(order) = lookups::order(&state.db, order_id).await?
            && order.status != "placed"
        {
            return Ok(Some(order.status));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Loads an order and checks the caller may act on it.
async fn owned_order(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    order_id: Uuid,
) -> Result<lookups::OrderView, ApiError> {
    honour_token(state, headers, "orders").await?;
    let order = lookups::order(&state.db, order_id).await?.ok_or_else(|| {
        ApiError::Refused(schemas::RejectionReason {
            code: "order_not_found".into(),
            kind: domain::ErrorKind::NotFound,
            message: "no such order".into(),
        })
    })?;
    if !may_act_for(caller, Some(order.customer_id)) {
        // Same answer as a missing order: another customer's order ids are not disclosed.
        return Err(ApiError::Refused(schemas::RejectionReason {
            code: "order_not_found".into(),
            kind: domain::ErrorKind::NotFound,
            message: "no such order".into(),
        }));
    }
    Ok(order)
}

/// `POST /orders/{id}/cancel`: the customer (or staff) cancels before shipment.
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    owned_order(&state, &caller, &headers, order_id).await?;
    let command = json!({ "type": "CancelOrder", "data": { "reason": "customer" } });
    one_command(
        &state,
        &caller,
        &headers,
        "orders.cancel",
        stream_id(order_id),
        command,
        json!({ "order_id": order_id }),
    )
    .await
}

/// `POST /orders/{id}/ship` (staff)
pub async fn ship(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    payload: Result<Json<Ship>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Staff)?;
    let Ship {
        carrier,
        tracking_number,
    } = body(payload)?;
    let command = json!({ "type": "ShipOrder", "data": { "carrier": carrier, "tracking_number": tracking_number } });
    one_command(
        &state,
        &caller,
        &headers,
        "orders.ship",
        stream_id(order_id),
        command,
        json!({ "order_id": order_id }),
    )
    .await
}

/// `POST /orders/{id}/deliver` (staff)
pub async fn deliver(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    caller.require(Role::Staff)?;
    let command = json!({ "type": "DeliverOrder", "data": {} });
    one_command(
        &state,
        &caller,
        &headers,
        "orders.deliver",
        stream_id(order_id),
        command,
        json!({ "order_id": order_id }),
    )
    .await
}

/// `POST /orders/{id}/refund` (staff): the saga refunds the payment when the order records it.
pub async fn refund(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    payload: Result<Json<Refund>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Staff)?;
    let Refund { amount, reason } = body(payload)?;
    let identity = RequestIdentity::from_request(
        &headers,
        &caller,
        "orders.refund",
        &json!({ "amount": amount, "reason": reason }),
    )?;
    let refund_id = derived_id(identity.command_id, "refund");
    let command = json!({ "type": "RefundOrder", "data": { "refund_id": refund_id, "amount": amount, "reason": reason } });
    let response = one_command(
        &state,
        &caller,
        &headers,
        "orders.refund",
        stream_id(order_id),
        command,
        json!({ "order_id": order_id, "refund_id": refund_id }),
    )
    .await?;
    Ok(response.into_response())
}
