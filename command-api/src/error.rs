//! The one HTTP error envelope.
//!
//! Every failure a client sees has the shape `{"error": {"code", "message", "details"?}}`:
//! domain refusals are 409/422/404 with the domain's code, validation is 422 with field details,
//! auth is 401/403, a caller over its rate limit is 429 with `Retry-After`, an unanswered command
//! is 503, and anything unexpected is an opaque 500 that is logged once, here, with its cause
//! chain.

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
    /// The caller sent more commands than its rate limit allows (429 `rate_limited` with
    /// `Retry-After`; see `http::rate_limit`).
    #[error("too many requests from this caller; retry in {retry_after_secs} s")]
    RateLimited {
        /// Whole seconds until the next request is allowed.
        retry_after_secs: u64,
    },
    /// A protocol-level refusal (body too large, wrong content type, malformed JSON).
    #[error("{message}")]
    Protocol {
        /// HTTP status.
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
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
            Self::RateLimited { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Some(json!({ "retry_after_secs": retry_after_secs })),
            ),
            Self::Protocol { status, code, .. } => (*status, *code, None),
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
        let mut response = (status, Json(body)).into_response();
        if let Self::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
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
            other => {
                let status = other.status();
                let code = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    _ => "bad_request",
                };
                Self::Protocol {
                    status,
                    code,
                    message: other.body_text(),
                }
            }
        }
    }
}

/// Rewrites framework answers that bypass [`ApiError`] (a path segment that is not a UUID, a
/// wrong method, a body over the size limit, a missing content type) into the one envelope, so
/// every 4xx a client sees has the same shape.
pub async fn envelope_framework_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return response;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::NOT_FOUND => "route_not_found",
        _ => "bad_request",
    };
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("bad request")
                .to_string()
        });
    let mut rebuilt = (
        status,
        Json(json!({ "error": { "code": code, "message": text } })),
    )
        .into_response();
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rebuilt.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rebuilt
}
