//! Small pieces shared by the shopper-facing routes: optional callers, customer identity, and
//! sending one command with the standard answer.

use axum::{extract::FromRequestParts, http::HeaderMap, http::request::Parts, response::Response};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::{Caller, Role},
    commands::{self, RequestIdentity},
    error::ApiError,
    startup::AppState,
};

/// A caller who may be anonymous (guest carts): no `Authorization` header is `None`, a bad one
/// is still 401.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
        {
            Ok(Self(Some(Caller::from_request_parts(parts, state).await?)))
        } else {
            Ok(Self(None))
        }
    }
}

/// The anonymous actor used for guest carts.
pub fn guest() -> Caller {
    Caller {
        subject: "guest".into(),
        role: Role::Customer,
    }
}

/// The caller's customer id (their token's subject).
pub fn customer_id(caller: &Caller) -> Result<Uuid, ApiError> {
    caller
        .subject
        .parse()
        .map_err(|_| ApiError::Forbidden("this action needs a customer account".into()))
}

/// Whether `caller` may act on something owned by `owner`: the owner, or staff.
pub fn may_act_for(caller: &Caller, owner: Option<Uuid>) -> bool {
    caller.role >= Role::Staff || owner.is_none() || caller.subject.parse::<Uuid>().ok() == owner
}

/// Sends one command built from a request and answers with the standard outcome response.
pub async fn one_command(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    stream: String,
    command: Value,
    extra: Value,
) -> Result<Response, ApiError> {
    let identity = RequestIdentity::from_request(headers, caller, route, &command)?;
    let envelope = commands::envelope(
        &identity,
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

/// Waits for the consistency token in `X-Consistency-Token` (if any) on `projection`.
pub async fn honour_token(
    state: &AppState,
    headers: &HeaderMap,
    projection: &str,
) -> Result<(), ApiError> {
    let Some(token) = headers
        .get("x-consistency-token")
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let bound = std::time::Duration::from_secs(5);
    if crate::lookups::wait_for_token(&state.db, state.log_epoch, projection, token, bound).await? {
        Ok(())
    } else {
        Err(ApiError::Unavailable(format!(
            "the {projection} read model has not caught up with your last write yet; retry shortly"
        )))
    }
}
