//! `/healthz` (the process answers) and `/readyz` (the broker and Postgres answer).

use axum::extract::State;
use runtime::health::Readiness;

use crate::startup::AppState;

/// Liveness.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: every check of [`readiness`], as a JSON report (503 naming what fails).
pub async fn readyz(State(state): State<AppState>) -> runtime::health::Report {
    state.readiness.evaluate().await
}

/// The API's readiness checks: the broker's metadata for the commands topic, and Postgres
/// (look-ups and the API's own tables live there).
pub fn readiness(kafka: &runtime::config::KafkaConfig, db: &sqlx::PgPool) -> Readiness {
    let readiness = Readiness::default();
    readiness.probe_broker(kafka, kafka.topics().commands);
    let db = db.clone();
    readiness.probe("postgres", move || {
        let db = db.clone();
        async move { crate::db::answers(&db).await }
    });
    readiness
}
