//! `GET /metrics`: the HTTP series every route records and the GraphQL series of
//! `docs/METRICS.md` (operation durations by outcome, errors by code, stale answers).

mod common;

use std::time::Duration;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{TestApp, get};
use query_api::startup::router;
use serde_json::json;
use tower::ServiceExt;

/// POSTs `query` with extra `headers`; returns the status.
async fn post(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> anyhow::Result<StatusCode> {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = Body::from(json!({ "query": query }).to_string());
    let response = router(app.state.clone())
        .oneshot(request.body(body)?)
        .await?;
    Ok(response.status())
}

#[tokio::test]
async fn graphql_operations_errors_and_stale_answers_show_up_in_metrics() -> anyhow::Result<()> {
    let mut app = TestApp::seeded("metrics_graphql").await?;
    app.state.consistency_wait = Duration::from_millis(50);
    let inventory = r#"{ inventory(sku: "SNK-42") { available } }"#;

    assert_eq!(post(&app, inventory, &[]).await?, StatusCode::OK);
    assert_eq!(post(&app, inventory, &[]).await?, StatusCode::OK);
    // A resolver error and a token refused before the schema runs: both are counted.
    let bad_id = r#"{ product(id: "not-a-uuid") { name } }"#;
    assert_eq!(post(&app, bad_id, &[]).await?, StatusCode::OK);
    let refused = [("authorization", "Bearer garbage")];
    assert_eq!(
        post(&app, inventory, &refused).await?,
        StatusCode::UNAUTHORIZED
    );
    // No projection has a checkpoint, so the wait runs out and the answer is stale.
    let token = [(
        "x-consistency-token",
        "v1.0191d5a2-7c3e-7b1a-9f00-000000000007.0:5",
    )];
    assert_eq!(post(&app, inventory, &token).await?, StatusCode::OK);

    let (status, text) = get(router(app.state.clone()), "/metrics").await?;
    assert_eq!(status, StatusCode::OK);
    for series in [
        r#"agora_graphql_operation_duration_seconds_count{operation="query",outcome="ok"} 3"#,
        r#"agora_graphql_operation_duration_seconds_count{operation="query",outcome="error"} 2"#,
        r#"agora_graphql_errors_total{code="BAD_USER_INPUT"} 1"#,
        r#"agora_graphql_errors_total{code="UNAUTHENTICATED"} 1"#,
        "agora_graphql_stale_total 1",
        r#"agora_http_requests_total{route="/graphql",method="POST",status="200"} 4"#,
        r#"agora_http_requests_total{route="/graphql",method="POST",status="401"} 1"#,
    ] {
        assert!(text.contains(series), "missing {series:?} in:\n{text}");
    }
    Ok(())
}
