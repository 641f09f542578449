//! `/healthz` (the process answers) and `/readyz` (the broker answers).

use axum::{extract::State, http::StatusCode};

use crate::startup::AppState;

/// Liveness.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the broker's metadata for the commands topic is reachable.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let kafka = state.kafka.clone();
    let topic = kafka.topics().commands;
    let reachable = tokio::task::spawn_blocking(move || {
        runtime::kafka::partition_count(&kafka, &topic).is_ok()
    })
    .await
    .unwrap_or(false);
    if reachable {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "broker unreachable")
    }
}
