//! The one HTTP error envelope.
//!
//! Every failure a client sees has the shape `{"error": {"code", "message", "details"?}}`:
//! domain refusals are 409/422/404 with the domain's code, validation is 422 with field details,
//! auth is 401/403, an unanswered command is 503, and anything unexpected is an opaque 500 that
//! is logged once, here, with its cause chain.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use domain::ErrorKind;
use schemas::RejectionReason;
use serde_json::{Value, json};

/// An error as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or breaks a field rule.
    #[error("{message}")]
    Validation {
        /// Summary.
        message: String,
        /// Per-field problems, `{"field": "why"}`.
        fields: Value,
    },
    /// The domain refused the command.
    #[error("{}", .0.message)]
    Refused(RejectionReason),
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Valid credentials without the needed role.
    #[error("{0}")]
    Forbidden(String),
    /// The body is too large or not JSON.
    #[error("{0}")]
    BadRequest(String),
    /// The processors could not be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else: reported opaquely.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A validation error about one field.
    pub fn field(field: &str, why: impl Into<String>) -> Self {
        let why = why.into();
        Self::Validation {
            message: format!("{field}: {why}"),
            fields: json!({ field: why }),
        }
    }

    fn parts(&self) -> (StatusCode, &str, Option<Value>) {
        match self {
            Self::Validation { fields, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                Some(json!({ "fields": fields })),
            ),
            Self::Refused(reason) => {
                let status = match reason.kind {
                    ErrorKind::Conflict => StatusCode::CONFLICT,
                    ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorKind::NotFound => StatusCode::NOT_FOUND,
                };
                (status, reason.code.as_str(), None)
            }
            Self::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated", None),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", None),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", None),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, details) = self.parts();
        let message = match &self {
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        let mut body = json!({ "error": { "code": code, "message": message } });
        if let Some(details) = details {
            body["error"]["details"] = details;
        }
        (status, Json(body)).into_response()
    }
}

/// Turns axum's JSON extractor failures into the envelope.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        match rejection {
            R::JsonDataError(error) => Self::Validation {
                message: error.body_text(),
                fields: json!({ "body": error.body_text() }),
            },
            other => Self::BadRequest(other.body_text()),
        }
    }
}
