//! Customer accounts: self-service on the caller's own stream, and account administration.
//!
//! - `PATCH /me/profile` `{display_name}`
//! - `POST /me/addresses` `{recipient, line1, line2?, city, postal_code?, region?, country}` →
//!   the new `address_id`; `PUT /me/addresses/{id}` (same body), `DELETE /me/addresses/{id}`,
//!   `POST /me/addresses/{id}/default`
//! - `PUT /customers/{id}/role` `{role}`: admins only (403 before anything is sent).
//! - `POST /customers/{id}/deactivate`: staff and admins; ends the account's sessions and frees
//!   its e-mail address.
//!
//! `/me/*` acts on `customer-<subject of the token>`: a caller can reach no other account there.

use axum::{
    Json, Router,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
    response::Response,
    routing::{patch, post, put},
};
use domain::values::Address;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::body;
use crate::{
    auth::{Caller, Role},
    commands::{self, RequestIdentity, derived_id},
    error::ApiError,
    identity::{credentials, refresh_store},
    startup::AppState,
};

/// The account routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/profile", patch(update_profile))
        .route("/me/addresses", post(add_address))
        .route(
            "/me/addresses/{id}",
            put(update_address).delete(remove_address),
        )
        .route("/me/addresses/{id}/default", post(set_default_address))
        .route("/customers/{id}/role", put(change_role))
        .route("/customers/{id}/deactivate", post(deactivate))
}

/// Body of `PATCH /me/profile`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    /// New display name, 1 to 100 characters.
    pub display_name: String,
}

/// Body of `PUT /customers/{id}/role`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    /// `customer`, `staff` or `admin`.
    pub role: Role,
}

/// The caller's own account id: tokens of people, not of operators, carry one.
fn own_id(caller: &Caller) -> Result<Uuid, ApiError> {
    caller
        .subject
        .parse()
        .map_err(|_| ApiError::Forbidden("this action needs a customer account".into()))
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|error| ApiError::Internal(error.into()))
}

/// Sends `command` (built from the command id) to `stream` and answers with the outcome.
async fn send_one(
    state: &AppState,
    caller: &Caller,
    identity: &RequestIdentity,
    stream: String,
    command: Value,
    extra: Value,
) -> Result<Response, ApiError> {
    let envelope = commands::envelope(
        identity,
        identity.command_id,
        caller,
        stream.clone(),
        command,
    );
    Ok(
        match commands::send(state, &envelope, identity.traceparent.as_deref()).await? {
            Some(accepted) => {
                commands::accepted_response(state, identity.command_id, &stream, &[accepted], extra)
            }
            None => commands::pending_response(identity.command_id, &stream, extra),
        },
    )
}

/// Sends a command about the caller's own account.
async fn own_command(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    command: Value,
) -> Result<Response, ApiError> {
    let customer_id = own_id(caller)?;
    let identity = RequestIdentity::from_request(headers, caller, route, &command)?;
    let stream = domain::customer::stream_id(customer_id);
    send_one(state, caller, &identity, stream, command, json!({})).await
}

/// `PATCH /me/profile`
pub async fn update_profile(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    payload: Result<Json<UpdateProfile>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(payload)?;
    let command = json!({ "type": "UpdateProfile", "data": to_value(&request)? });
    own_command(&state, &caller, &headers, "me.profile", command).await
}

/// `POST /me/addresses`: the entry's id derives from the command id, so a retry adds nothing.
pub async fn add_address(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    payload: Result<Json<Address>, JsonRejection>,
) -> Result<Response, ApiError> {
    let customer_id = own_id(&caller)?;
    let address = body(payload)?;
    let identity =
        RequestIdentity::from_request(&headers, &caller, "me.addresses.add", &to_value(&address)?)?;
    let address_id = derived_id(identity.command_id, "address");
    let command = json!({ "type": "AddAddress", "data": {
        "address_id": address_id, "address": address,
    }});
    send_one(
        &state,
        &caller,
        &identity,
        domain::customer::stream_id(customer_id),
        command,
        json!({ "address_id": address_id }),
    )
    .await
}

/// `PUT /me/addresses/{id}`
pub async fn update_address(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(address_id): Path<Uuid>,
    payload: Result<Json<Address>, JsonRejection>,
) -> Result<Response, ApiError> {
    let address = body(payload)?;
    let command = json!({ "type": "UpdateAddress", "data": {
        "address_id": address_id, "address": address,
    }});
    own_command(&state, &caller, &headers, "me.addresses.update", command).await
}

/// `DELETE /me/addresses/{id}`
pub async fn remove_address(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(address_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let command = json!({ "type": "RemoveAddress", "data": { "address_id": address_id } });
    own_command(&state, &caller, &headers, "me.addresses.remove", command).await
}

/// `POST /me/addresses/{id}/default`
pub async fn set_default_address(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(address_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let command = json!({ "type": "SetDefaultAddress", "data": { "address_id": address_id } });
    own_command(&state, &caller, &headers, "me.addresses.default", command).await
}

/// `PUT /customers/{id}/role`
pub async fn change_role(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(customer_id): Path<Uuid>,
    payload: Result<Json<ChangeRole>, JsonRejection>,
) -> Result<Response, ApiError> {
    // Refused here, before anything reaches the log (the domain would refuse it too).
    caller.require(Role::Admin)?;
    let request = body(payload)?;
    let command = json!({ "type": "ChangeRole", "data": {
        "role": request.role, "actor_role": caller.role,
    }});
    let identity = RequestIdentity::from_request(
        &headers,
        &caller,
        &format!("customers.role|{customer_id}"),
        &command,
    )?;
    send_one(
        &state,
        &caller,
        &identity,
        domain::customer::stream_id(customer_id),
        command,
        json!({ "customer_id": customer_id, "role": request.role }),
    )
    .await
}

/// `POST /customers/{id}/deactivate`
pub async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(customer_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    caller.require(Role::Staff)?;
    let account = credentials::by_id(&state.db, customer_id)
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    // Staff may not lock out an admin.
    if account.as_ref().is_some_and(|a| a.role > caller.role) {
        return Err(ApiError::Forbidden(
            "only an admin may deactivate an admin".into(),
        ));
    }
    let command = json!({ "type": "DeactivateCustomer", "data": {} });
    let identity = RequestIdentity::from_request(
        &headers,
        &caller,
        &format!("customers.deactivate|{customer_id}"),
        &command,
    )?;
    let response = send_one(
        &state,
        &caller,
        &identity,
        domain::customer::stream_id(customer_id),
        command,
        json!({ "customer_id": customer_id }),
    )
    .await?;
    refresh_store::revoke_all(&state.db, customer_id)
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    // "Deactivation releases" the address (docs/DOMAIN.md), so it may serve a new account.
    match account {
        Some(account) => {
            release_email(&state, &caller, &identity, customer_id, &account.email).await
        }
        None => tracing::warn!(customer.id = %customer_id,
            "deactivated an account the read model does not show yet; its e-mail stays claimed"),
    }
    Ok(response)
}

/// Frees the deactivated account's address; a failure is logged, the deactivation stands.
async fn release_email(
    state: &AppState,
    caller: &Caller,
    identity: &RequestIdentity,
    customer_id: Uuid,
    email: &str,
) {
    let Ok(email) = domain::values::Email::parse(email) else {
        tracing::warn!(customer.id = %customer_id, "the read model holds a malformed e-mail");
        return;
    };
    let envelope = commands::envelope(
        identity,
        derived_id(identity.command_id, "release-email"),
        caller,
        domain::email_claim::stream_id(&email),
        json!({ "type": "ReleaseEmail", "data": { "customer_id": customer_id } }),
    );
    if let Err(error) = commands::send(state, &envelope, identity.traceparent.as_deref()).await {
        tracing::warn!(%error, customer.id = %customer_id,
            "releasing the e-mail of a deactivated account failed");
    }
}
