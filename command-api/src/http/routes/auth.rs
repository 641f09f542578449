//! Identity endpoints: register, login, refresh, logout and password change.
//!
//! - `POST /auth/register` `{email, password, display_name}` → 201 with the customer id and
//!   tokens (claims the address first: another account holding it is 409 `email_taken`).
//! - `POST /auth/login` `{email, password}` → 200 with tokens; 401 `invalid_credentials`,
//!   403 `account_deactivated`, 429 `too_many_attempts` (see `identity::rate_limit`).
//! - `POST /auth/refresh` `{refresh_token}` → 200 with a new pair; the presented token is spent.
//! - `POST /auth/logout` `{refresh_token}` → 204; the token is revoked.
//! - `POST /auth/password` `{current_password, new_password}` (authenticated) → 200 with a new
//!   pair; every other refresh token of the account is revoked. A token whose account does not
//!   exist is 401 `account_not_found`; one registered a moment ago and not yet in the read
//!   model is 503 `unavailable` (retry).

use std::{sync::Arc, time::Instant};

use axum::{
    Extension, Json, Router,
    extract::{State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use domain::values::Email;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::body;
use crate::{
    auth::{Caller, Role},
    commands::{self, RequestIdentity},
    error::ApiError,
    identity::{
        credentials,
        errors::AuthError,
        passwords,
        rate_limit::{ClientIp, LoginLimiter},
        refresh_store::{self, Rotation},
        registration::{self, NewAccount, Registered},
        tokens::{self, IssuedTokens},
    },
    startup::AppState,
};

/// The identity routes, with their login limiter (one per router, so per process).
pub fn routes() -> Router<AppState> {
    // Computed now rather than on the first unknown-address login, whose answer would otherwise
    // be slower than the others.
    passwords::warm_up();
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/password", post(change_password))
        .layer(Extension(Arc::new(LoginLimiter::default())))
}

/// Body of `POST /auth/register`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// Login address.
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    /// Name shown in the storefront.
    pub display_name: String,
}

/// Body of `POST /auth/login`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Login address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Body of `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshToken {
    /// The refresh token from the last login or refresh.
    pub refresh_token: String,
}

/// Body of `POST /auth/password`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The password in force.
    pub current_password: String,
    /// The new password, 8 to 128 characters.
    pub new_password: String,
}

/// The caller registering: anonymous, so idempotency keys are scoped to the key alone.
fn registrant() -> Caller {
    Caller {
        subject: "anonymous".into(),
        role: Role::Customer,
    }
}

fn tokens_response(issued: &IssuedTokens) -> Response {
    (StatusCode::OK, Json(issued.to_json())).into_response()
}

/// `POST /auth/register`
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<Register>, JsonRejection>,
) -> Result<Response, AuthError> {
    let request = body(payload)?;
    let email =
        Email::parse(&request.email).map_err(|e| ApiError::field("email", e.to_string()))?;
    passwords::validate("password", &request.password)?;
    let name_len = request.display_name.chars().count();
    if request.display_name.trim().is_empty() || name_len > 100 {
        return Err(ApiError::field("display_name", "must be 1 to 100 characters").into());
    }
    // The password stays out of the request hash; `register` binds its argon2 hash instead.
    let identity = RequestIdentity::from_request(
        &headers,
        &registrant(),
        "auth.register",
        &json!({ "email": email, "display_name": request.display_name }),
    )?;
    let account = NewAccount {
        email,
        password: request.password,
        display_name: request.display_name,
    };
    let stream_of = |id: Uuid| domain::customer::stream_id(id);
    match registration::register(&state, &identity, None, account).await? {
        Registered::Pending { customer_id } => Ok(commands::pending_response(
            identity.command_id,
            &stream_of(customer_id),
            json!({ "customer_id": customer_id }),
        )),
        Registered::Done {
            customer_id,
            accepted,
        } => {
            let issued = tokens::issue(&state.db, &state.keys, customer_id, Role::Customer).await?;
            let mut response = commands::accepted_response(
                &state,
                identity.command_id,
                &stream_of(customer_id),
                &accepted,
                issued.to_json(),
            );
            *response.status_mut() = StatusCode::CREATED;
            Ok(response)
        }
    }
}

/// `POST /auth/login`
pub async fn login(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<LoginLimiter>>,
    ClientIp(ip): ClientIp,
    payload: Result<Json<Login>, JsonRejection>,
) -> Result<Response, AuthError> {
    let request = body(payload)?;
    // A malformed address has no account: same answer as an unknown one.
    let email = Email::parse(&request.email).ok();
    let account_key = email
        .as_ref()
        .map_or_else(|| request.email.trim().to_lowercase(), |e| e.to_string());
    limiter
        .check(&account_key, ip, Instant::now())
        .map_err(|retry_after_secs| AuthError::TooManyAttempts { retry_after_secs })?;
    let found = match &email {
        Some(email) => credentials::by_email(&state.db, email).await?,
        None => None,
    };
    let verified = passwords::verify(
        request.password,
        found.as_ref().map(|c| c.password_hash.clone()),
    )
    .await?;
    let Some(account) = found.filter(|_| verified) else {
        limiter.failure(&account_key, ip, Instant::now());
        return Err(AuthError::InvalidCredentials);
    };
    limiter.success(&account_key);
    // Told only to someone who knows the password.
    if !account.active {
        return Err(AuthError::AccountDeactivated);
    }
    let issued = tokens::issue(&state.db, &state.keys, account.customer_id, account.role).await?;
    Ok(tokens_response(&issued))
}

/// `POST /auth/refresh`
pub async fn refresh(
    State(state): State<AppState>,
    payload: Result<Json<RefreshToken>, JsonRejection>,
) -> Result<Response, AuthError> {
    let request = body(payload)?;
    let successor = tokens::new_refresh_token();
    let expires_at = tokens::refresh_expiry();
    let rotation = refresh_store::rotate(
        &state.db,
        &tokens::fingerprint(&request.refresh_token),
        &tokens::fingerprint(&successor),
        expires_at,
    )
    .await?;
    let (customer_id, stored_role) = match rotation {
        Rotation::Rotated { customer_id, role } => (customer_id, role),
        Rotation::Reused { customer_id } => {
            tracing::warn!(customer.id = %customer_id,
                "a spent refresh token was presented again; revoked every session of the account");
            return Err(AuthError::InvalidRefreshToken);
        }
        Rotation::Invalid => return Err(AuthError::InvalidRefreshToken),
    };
    // The role and status may have changed since login; the read model knows (when it already
    // shows the account).
    let current = credentials::by_id(&state.db, customer_id).await?;
    if current.as_ref().is_some_and(|c| !c.active) {
        refresh_store::revoke_all(&state.db, customer_id).await?;
        return Err(AuthError::AccountDeactivated);
    }
    let role = current.map_or(stored_role, |c| c.role);
    let issued = IssuedTokens {
        customer_id,
        role,
        access_token: tokens::access_token(&state.keys, customer_id, role)?,
        refresh_token: successor,
        refresh_expires_at: expires_at,
    };
    Ok(tokens_response(&issued))
}

/// `POST /auth/logout`: revokes the token. Unknown or already revoked tokens get the same 204, so
/// a retried logout is fine.
pub async fn logout(
    State(state): State<AppState>,
    payload: Result<Json<RefreshToken>, JsonRejection>,
) -> Result<Response, AuthError> {
    let request = body(payload)?;
    refresh_store::revoke(&state.db, &tokens::fingerprint(&request.refresh_token)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Why the `customers` read model does not show the caller's account. A registration a moment
/// ago may not be projected yet (the read model lags the log): that account already holds the
/// live session registration issued, and a retry shortly will find it (503). Without one, the
/// token names no account this API opened a session for (a token minted for an arbitrary id,
/// or every session has ended): waiting cannot help, so the answer is 401 and a new login.
async fn missing_account(state: &AppState, customer_id: Uuid) -> AuthError {
    match refresh_store::has_live_session(&state.db, customer_id).await {
        Ok(true) => {
            ApiError::Unavailable("the account is not readable yet; retry shortly".into()).into()
        }
        Ok(false) => AuthError::AccountNotFound,
        Err(error) => error.into(),
    }
}

/// `POST /auth/password`
pub async fn change_password(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<LoginLimiter>>,
    ClientIp(ip): ClientIp,
    caller: Caller,
    headers: HeaderMap,
    payload: Result<Json<ChangePassword>, JsonRejection>,
) -> Result<Response, AuthError> {
    let customer_id: Uuid = caller
        .subject
        .parse()
        .map_err(|_| ApiError::Forbidden("this action needs a customer account".into()))?;
    let request = body(payload)?;
    passwords::validate("new_password", &request.new_password)?;
    let account = match credentials::by_id(&state.db, customer_id).await? {
        Some(account) => account,
        None => return Err(missing_account(&state, customer_id).await),
    };
    limiter
        .check(&account.email, ip, Instant::now())
        .map_err(|retry_after_secs| AuthError::TooManyAttempts { retry_after_secs })?;
    let current_ok = passwords::verify(
        request.current_password.clone(),
        Some(account.password_hash.clone()),
    )
    .await?;
    // A retry (same Idempotency-Key) of a change that already went through finds the new
    // password in force: it is re-sent and answered from the log.
    let retried = !current_ok
        && headers.contains_key("idempotency-key")
        && passwords::verify(
            request.new_password.clone(),
            Some(account.password_hash.clone()),
        )
        .await?;
    if !current_ok && !retried {
        limiter.failure(&account.email, ip, Instant::now());
        return Err(AuthError::InvalidCredentials);
    }
    limiter.success(&account.email);

    let mut identity =
        RequestIdentity::from_request(&headers, &caller, "auth.password", &json!({}))?;
    let new_hash = passwords::hash(
        request.new_password,
        passwords::salt_for(identity.command_id),
    )
    .await?;
    registration::bind_password_hash(&mut identity, &new_hash);
    let stream = domain::customer::stream_id(customer_id);
    let envelope = commands::envelope(
        &identity,
        identity.command_id,
        &caller,
        stream.clone(),
        json!({ "type": "ChangePassword", "data": { "password_hash": new_hash } }),
    );
    let sent = commands::send(&state, &envelope, identity.traceparent.as_deref()).await?;
    // Every session ends with the old password, whether or not the change is answered yet.
    refresh_store::revoke_all(&state.db, customer_id).await?;
    Ok(match sent {
        None => commands::pending_response(identity.command_id, &stream, json!({})),
        Some(accepted) => {
            let issued = tokens::issue(&state.db, &state.keys, customer_id, account.role).await?;
            commands::accepted_response(
                &state,
                identity.command_id,
                &stream,
                &[accepted],
                issued.to_json(),
            )
        }
    })
}
