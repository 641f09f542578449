//! Identity failures, reported in the one error envelope (`{"error": {"code", "message"}}`).
//!
//! Login answers the same 401 `invalid_credentials` for an unknown address and a wrong password,
//! so the answer does not tell which addresses have accounts.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::error::ApiError;

use super::{passwords::PasswordError, tokens::TokenError};

/// An identity failure, or any other API error.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown address or wrong password (401 `invalid_credentials`).
    #[error("the e-mail address or password is wrong")]
    InvalidCredentials,
    /// The account is deactivated (403 `account_deactivated`).
    #[error("the account is deactivated")]
    AccountDeactivated,
    /// The access token is valid but names no account the API knows: not in the `customers`
    /// read model and without a live session (401 `account_not_found`).
    #[error("the token names no account; log in again")]
    AccountNotFound,
    /// The refresh token is unknown, expired, revoked or reused (401 `invalid_refresh_token`).
    #[error("the refresh token is not valid; log in again")]
    InvalidRefreshToken,
    /// Too many failed attempts (429 `too_many_attempts` with `Retry-After`).
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds until an attempt may succeed.
        retry_after_secs: u64,
    },
    /// Anything else, answered as the API answers it.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> Self {
        Self::Api(ApiError::Internal(error.into()))
    }
}

impl From<PasswordError> for AuthError {
    fn from(error: PasswordError) -> Self {
        Self::Api(error.into())
    }
}

impl From<TokenError> for AuthError {
    fn from(error: TokenError) -> Self {
        Self::Api(ApiError::Internal(error.into()))
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        Self::Api(ApiError::Internal(error.into()))
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Self::Api(error) => return error.into_response(),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::AccountDeactivated => (StatusCode::FORBIDDEN, "account_deactivated"),
            Self::InvalidRefreshToken => (StatusCode::UNAUTHORIZED, "invalid_refresh_token"),
            Self::AccountNotFound => (StatusCode::UNAUTHORIZED, "account_not_found"),
            Self::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
        };
        let mut body = json!({ "error": { "code": code, "message": self.to_string() } });
        let mut response = if let Self::TooManyAttempts { retry_after_secs } = self {
            body["error"]["details"] = json!({ "retry_after_secs": retry_after_secs });
            let mut response = (status, Json(body)).into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        } else {
            (status, Json(body)).into_response()
        };
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    #[test]
    fn too_many_attempts_is_a_429_with_retry_after() {
        let response = AuthError::TooManyAttempts {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "42");
    }

    #[test]
    fn a_token_without_an_account_is_a_401_asking_for_a_new_login() {
        let response = AuthError::AccountNotFound.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[axum::http::header::WWW_AUTHENTICATE],
            "Bearer"
        );
    }

    #[test]
    fn other_api_errors_keep_their_own_status() {
        let response = AuthError::from(ApiError::Forbidden("no".into())).into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
