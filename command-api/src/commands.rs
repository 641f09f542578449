//! Turning an HTTP request into a command envelope, dispatching it, and shaping the answer.
//!
//! The command id is derived from the client's `Idempotency-Key` scoped to the caller, so a
//! retried request is the same command; ids of streams a command creates are derived from the
//! command id, so a retried create makes no second stream.

use axum::{
    Json,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::Caller,
    dispatch::Dispatched,
    error::ApiError,
    startup::AppState,
    token,
    wire::{CommandEnvelope, LogPosition, Outcome, Reply},
};

/// Namespace for ids derived with UUIDv5.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6167_6f72_6100_4000_8000_0000_0000_0001);

/// Longest accepted `Idempotency-Key`.
const MAX_KEY_LEN: usize = 200;

/// The identity of one client request.
#[derive(Debug, Clone)]
pub struct RequestIdentity {
    /// Command id: derived from the idempotency key, or fresh.
    pub command_id: Uuid,
    /// Hash of what was asked, to detect a key reused for something else.
    pub request_hash: String,
    /// `traceparent` header, carried into Kafka headers.
    pub traceparent: Option<String>,
}

impl RequestIdentity {
    /// Reads the idempotency key (if any) and hashes the request.
    pub fn from_request(
        headers: &HeaderMap,
        caller: &Caller,
        route: &str,
        body: &Value,
    ) -> Result<Self, ApiError> {
        let request_hash = {
            let mut hasher = Sha256::new();
            hasher.update(route.as_bytes());
            hasher.update(body.to_string().as_bytes());
            format!("{:x}", hasher.finalize())
        };
        let command_id = match headers.get("idempotency-key") {
            None => Uuid::now_v7(),
            Some(value) => {
                let key = value
                    .to_str()
                    .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?;
                if key.is_empty() || key.len() > MAX_KEY_LEN {
                    return Err(ApiError::field(
                        "Idempotency-Key",
                        format!("must be 1 to {MAX_KEY_LEN} characters"),
                    ));
                }
                Uuid::new_v5(
                    &ID_NAMESPACE,
                    format!("{}|{key}", caller.actor()).as_bytes(),
                )
            }
        };
        // The request span's own context when spans are exported (it continues the caller's
        // header), else the caller's header as it came.
        let traceparent = runtime::trace_context::outgoing(
            &tracing::Span::current(),
            headers.get("traceparent").and_then(|v| v.to_str().ok()),
        );
        Ok(Self {
            command_id,
            request_hash,
            traceparent,
        })
    }
}

/// An id derived from a command id, stable across retries (e.g. the product a create makes).
pub fn derived_id(command_id: Uuid, purpose: &str) -> Uuid {
    Uuid::new_v5(&command_id, purpose.as_bytes())
}

/// Builds an envelope for `command` on `stream`.
pub fn envelope(
    identity: &RequestIdentity,
    command_id: Uuid,
    caller: &Caller,
    stream: String,
    command: Value,
) -> CommandEnvelope {
    CommandEnvelope {
        command_id,
        stream,
        command,
        actor: caller.actor(),
        correlation_id: identity.command_id,
        causation_id: identity.command_id,
        request_hash: Some(identity.request_hash.clone()),
        issued_at: Utc::now(),
    }
}

/// The accepted part of an outcome.
#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    /// Stream version after the command.
    pub version: u64,
    /// Where the commit is.
    pub position: LogPosition,
}

/// Dispatches one envelope and returns its acceptance, or the error the client should see.
/// `Ok(None)` means the command is queued but not yet answered.
pub async fn send(
    state: &AppState,
    envelope: &CommandEnvelope,
    traceparent: Option<&str>,
) -> Result<Option<Accepted>, ApiError> {
    match state.dispatcher.dispatch(envelope, traceparent).await? {
        Dispatched::Pending => Ok(None),
        Dispatched::Answered(Reply { outcome, .. }) => accepted(outcome).map(Some),
    }
}

/// The acceptance in a processor's answer, or the error the client should see.
pub fn accepted(outcome: Outcome) -> Result<Accepted, ApiError> {
    match outcome {
        Outcome::Accepted {
            version, position, ..
        } => Ok(Accepted { version, position }),
        Outcome::Rejected { reason, .. } => Err(ApiError::Refused(reason)),
        Outcome::Malformed { message } => Err(ApiError::Validation {
            message: message.clone(),
            fields: json!({ "command": message }),
        }),
    }
}

/// `200` with the stream, version and consistency token, plus `extra` fields.
pub fn accepted_response(
    state: &AppState,
    command_id: Uuid,
    stream: &str,
    accepted: &[Accepted],
    extra: Value,
) -> Response {
    let positions: Vec<LogPosition> = accepted.iter().map(|a| a.position).collect();
    answered_response(
        state,
        command_id,
        stream,
        accepted.first().map(|a| a.version),
        &positions,
        extra,
    )
}

/// `200` for a command answered at `positions` of the log: the stream, the version it wrote
/// (`None` when it wrote nothing) and a consistency token at those positions, plus `extra`.
pub fn answered_response(
    state: &AppState,
    command_id: Uuid,
    stream: &str,
    version: Option<u64>,
    positions: &[LogPosition],
    extra: Value,
) -> Response {
    let token = token::encode(state.log_epoch, positions);
    let mut body = json!({
        "command_id": command_id,
        "stream": stream,
        "version": version,
        "consistency_token": token,
    });
    merge(&mut body, extra);
    (
        StatusCode::OK,
        [("x-consistency-token", token.as_str())],
        Json(body),
    )
        .into_response()
}

/// `202` for a command that is queued but not yet decided.
pub fn pending_response(command_id: Uuid, stream: &str, extra: Value) -> Response {
    let mut body = json!({
        "command_id": command_id,
        "stream": stream,
        "status": "pending",
    });
    merge(&mut body, extra);
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}
