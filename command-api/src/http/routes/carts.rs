//! Cart commands. Guest carts are addressed by their id, which is the cart token a guest keeps;
//! a signed-in customer has one cart whose id derives from their customer id.

use axum::{
    Json, Router,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
    response::Response,
    routing::{post, put},
};
use domain::{cart::stream_id, values::Sku};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    body,
    send::{MaybeCaller, customer_id, guest, honour_token, may_act_for, one_command},
};
use crate::{
    auth::Caller,
    commands::{self, RequestIdentity, derived_id},
    dispatch::Dispatched,
    error::ApiError,
    lookups,
    startup::AppState,
    wire::Outcome,
};

/// Routes under `/carts`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/carts", post(create))
        .route("/carts/mine", post(create_mine))
        .route("/carts/{cart_id}/lines", post(add_line))
        .route(
            "/carts/{cart_id}/lines/{sku}",
            put(change_quantity).delete(remove_line),
        )
        .route(
            "/carts/{cart_id}/coupon",
            put(apply_coupon).delete(remove_coupon),
        )
        .route("/carts/{cart_id}/merge", post(merge))
        .route("/carts/{cart_id}/clear", post(clear))
}

/// The id of a customer's own cart.
pub fn customer_cart_id(customer: Uuid) -> Uuid {
    Uuid::new_v5(&customer, b"cart")
}

/// Body of `POST /carts/{id}/lines`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddLine {
    /// What to buy.
    pub sku: Sku,
    /// How many (> 0).
    pub quantity: u32,
}

/// Body of `PUT /carts/{id}/lines/{sku}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuantity {
    /// New quantity (> 0; remove the line to drop it).
    pub quantity: u32,
}

/// Body of `PUT /carts/{id}/coupon`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyCoupon {
    /// Coupon code.
    pub code: String,
}

/// Body of `POST /carts/{id}/merge`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    /// The guest cart whose lines move into this one.
    pub guest_cart_id: Uuid,
}

fn actor(caller: &MaybeCaller) -> Caller {
    caller.0.clone().unwrap_or_else(guest)
}

/// Refuses access to a customer's cart by anyone else. A cart the read model does not know yet
/// is allowed only when it is the caller's own derived cart or addressed as a guest cart.
async fn check_access(
    state: &AppState,
    caller: &MaybeCaller,
    cart_id: Uuid,
) -> Result<(), ApiError> {
    if let Some(caller) = &caller.0
        && let Ok(customer) = customer_id(caller)
        && customer_cart_id(customer) == cart_id
    {
        return Ok(());
    }
    let owner = lookups::cart(&state.db, cart_id)
        .await?
        .and_then(|cart| cart.customer_id);
    let allowed = match (&caller.0, owner) {
        (_, None) => true,
        (Some(caller), owner) => may_act_for(caller, owner),
        (None, Some(_)) => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "this cart belongs to another customer".into(),
        ))
    }
}

/// `POST /carts`: a new guest cart; its id is the cart token.
pub async fn create(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = actor(&caller);
    let identity = crate::commands::RequestIdentity::from_request(
        &headers,
        &caller,
        "carts.create",
        &json!({}),
    )?;
    let cart_id = derived_id(identity.command_id, "cart");
    let command = json!({ "type": "CreateCart", "data": { "cart_id": cart_id } });
    one_command(
        &state,
        &caller,
        &headers,
        "carts.create",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await
}

/// `POST /carts/mine`: the signed-in customer's cart, created on the first call. A later call
/// finds it existing: the processor refuses the create (`cart_already_exists`) and records the
/// refusal in the log after the cart's creation, on the cart's partition. The answer is then the
/// same 200 shape with `created: false`, `version: null` (nothing was written) and a consistency
/// token at the refusal, which a reader passes only once it has seen the cart.
pub async fn create_mine(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let customer = customer_id(&caller)?;
    let cart_id = customer_cart_id(customer);
    let stream = stream_id(cart_id);
    let command =
        json!({ "type": "CreateCart", "data": { "cart_id": cart_id, "customer_id": customer } });
    let identity = RequestIdentity::from_request(&headers, &caller, "carts.mine", &command)?;
    let envelope = commands::envelope(
        &identity,
        identity.command_id,
        &caller,
        stream.clone(),
        command,
    );
    let dispatched = state
        .dispatcher
        .dispatch(&envelope, identity.traceparent.as_deref())
        .await?;
    let Dispatched::Answered(reply) = dispatched else {
        return Ok(commands::pending_response(
            identity.command_id,
            &stream,
            json!({ "cart_id": cart_id }),
        ));
    };
    let answer = match reply.outcome {
        // The cart was there already: the refusal is the answer, at its own log position.
        Outcome::Rejected { reason, position } if reason.code == "cart_already_exists" => {
            commands::answered_response(
                &state,
                identity.command_id,
                &stream,
                None,
                &[position],
                json!({ "cart_id": cart_id, "created": false }),
            )
        }
        outcome => commands::accepted_response(
            &state,
            identity.command_id,
            &stream,
            &[commands::accepted(outcome)?],
            json!({ "cart_id": cart_id, "created": true }),
        ),
    };
    Ok(answer)
}

/// `POST /carts/{id}/lines`: adds a line priced from the catalog now.
pub async fn add_line(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(cart_id): Path<Uuid>,
    payload: Result<Json<AddLine>, JsonRejection>,
) -> Result<Response, ApiError> {
    let AddLine { sku, quantity } = body(payload)?;
    check_access(&state, &caller, cart_id).await?;
    let for_sale = lookups::variant_for_sale(&state.db, &sku)
        .await?
        .ok_or_else(|| ApiError::field("sku", format!("{} is not for sale", sku.as_str())))?;
    let command = json!({ "type": "AddCartLine", "data": {
        "sku": sku, "product_id": for_sale.product_id, "quantity": quantity, "unit_price": for_sale.price,
    }});
    one_command(
        &state,
        &actor(&caller),
        &headers,
        "carts.add_line",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await
}

/// `PUT /carts/{id}/lines/{sku}`
pub async fn change_quantity(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((cart_id, sku)): Path<(Uuid, String)>,
    payload: Result<Json<ChangeQuantity>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ChangeQuantity { quantity } = body(payload)?;
    let sku = Sku::parse(&sku).map_err(|e| ApiError::field("sku", e.to_string()))?;
    check_access(&state, &caller, cart_id).await?;
    let command =
        json!({ "type": "ChangeCartLineQuantity", "data": { "sku": sku, "quantity": quantity } });
    one_command(
        &state,
        &actor(&caller),
        &headers,
        "carts.quantity",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await
}

/// `DELETE /carts/{id}/lines/{sku}`
pub async fn remove_line(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((cart_id, sku)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    let sku = Sku::parse(&sku).map_err(|e| ApiError::field("sku", e.to_string()))?;
    check_access(&state, &caller, cart_id).await?;
    let command = json!({ "type": "RemoveCartLine", "data": { "sku": sku } });
    one_command(
        &state,
        &actor(&caller),
        &headers,
        "carts.remove_line",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await
}

/// `PUT /carts/{id}/coupon`
pub async fn apply_coupon(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(cart_id): Path<Uuid>,
    payload: Result<Json<ApplyCoupon>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ApplyCoupon { code } = body(payload)?;
    let code = domain::values::CouponCode::parse(&code)
        .map_err(|_| ApiError::field("code", "not a valid coupon code"))?;
    check_access(&state, &caller, cart_id).await?;
    let command = json!({ "type": "ApplyCoupon", "data": { "code": code } });
    one_command(
        &state,
        &actor(&caller),
        &headers,
        "carts.coupon",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await
}

/// `DELETE /carts/{id}/coupon`
pub async fn remove_coupon(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(cart_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    check_access(&state, &caller, cart_id).await?;
    let command = json!({ "type": "RemoveCoupon", "data": {} });
    one_command(
        &state,
        &actor(&caller),
        &headers,
        "carts.remove_coupon",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await
}

/// `POST /carts/{id}/clear`
pub async fn clear(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(cart_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    check_access(&state, &caller, cart_id).await?;
    let command = json!({ "type": "ClearCart", "data": {} });
    one_command(
        &state,
        &actor(&caller),
        &headers,
        "carts.clear",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await
}

/// `POST /carts/{id}/merge`: moves a guest cart's lines into the signed-in customer's cart
/// (`{id}` must be the caller's own cart), then empties the guest cart.
pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(cart_id): Path<Uuid>,
    payload: Result<Json<Merge>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Merge { guest_cart_id } = body(payload)?;
    let customer = customer_id(&caller)?;
    if customer_cart_id(customer) != cart_id {
        return Err(ApiError::Forbidden("merge into your own cart only".into()));
    }
    honour_token(&state, &headers, "carts").await?;
    let guest_cart = lookups::cart(&state.db, guest_cart_id)
        .await?
        .ok_or_else(|| ApiError::field("guest_cart_id", "no such cart"))?;
    if guest_cart.customer_id.is_some() {
        return Err(ApiError::Forbidden("only guest carts can be merged".into()));
    }
    let command = json!({ "type": "MergeCart", "data": { "source_cart_id": guest_cart_id, "lines": guest_cart.lines } });
    let response = one_command(
        &state,
        &caller,
        &headers,
        "carts.merge",
        stream_id(cart_id),
        command,
        json!({ "cart_id": cart_id }),
    )
    .await?;
    let identity = crate::commands::RequestIdentity::from_request(
        &headers,
        &caller,
        "carts.merge",
        &json!({ "guest": guest_cart_id }),
    )?;
    let clear = crate::commands::envelope(
        &identity,
        derived_id(identity.command_id, "clear-guest-cart"),
        &caller,
        stream_id(guest_cart_id),
        json!({ "type": "ClearCart", "data": {} }),
    );
    crate::commands::send(&state, &clear, identity.traceparent.as_deref()).await?;
    Ok(response)
}
