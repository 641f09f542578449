//! `/readyz` of the query service reports each dependency: Postgres with the read models, and
//! ClickHouse for the analytics queries.

mod common;

use axum::http::StatusCode;
use common::{TestApp, get};
use query_api::startup::{AppState, router};
use serde_json::{Value, json};

async fn readyz(state: AppState) -> anyhow::Result<(StatusCode, Value)> {
    let (status, body) = get(router(state), "/readyz").await?;
    Ok((status, serde_json::from_str(&body)?))
}

#[tokio::test]
async fn ready_when_postgres_and_clickhouse_answer() -> anyhow::Result<()> {
    let app = TestApp::migrated("readyz_all_up").await?;
    let (status, body) = readyz(app.state.clone()).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "status": "ready", "checks": { "postgres": "ok", "clickhouse": "ok" } })
    );
    Ok(())
}

#[tokio::test]
async fn unready_naming_clickhouse_when_it_does_not_answer() -> anyhow::Result<()> {
    let app = TestApp::migrated("readyz_no_clickhouse").await?;
    let mut config = app.config.clone();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    config.clickhouse_url = format!("http://127.0.0.1:{closed}");
    let (status, body) = readyz(AppState::new(&config)?).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unready");
    assert_eq!(body["checks"]["postgres"], "ok", "{body}");
    assert!(
        body["checks"]["clickhouse"]
            .as_str()
            .is_some_and(|text| text.starts_with("unreachable")),
        "{body}"
    );
    Ok(())
}
