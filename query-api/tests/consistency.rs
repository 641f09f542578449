//! Read-your-writes: a request carrying the consistency token of a command sees that command's
//! effects, and says so in `extensions.consistency`.

mod common;

use std::time::Duration;

use anyhow::Context as _;
use axum::{
    body::Body,
    http::{Request, header},
};
use common::TestApp;
use query_api::startup::{AppState, router};
use runtime::testing::{ChildProcess, TestNamespace, eventually};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

/// POSTs a query with a consistency token to `state`'s router in-process.
async fn query_with_token(state: &AppState, query: &str, token: &str) -> anyhow::Result<Value> {
    let body = json!({ "query": query }).to_string();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-consistency-token", token)
        .body(Body::from(body))?;
    let response = router(state.clone()).oneshot(request).await?;
    let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024).await?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// Sets every checkpoint of `projection` (4 partitions) to `next_offset` in `log_epoch`.
async fn checkpoints(
    app: &TestApp,
    projection: &str,
    next_offset: i64,
    log_epoch: Uuid,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (projection, partition, next_offset, log_epoch)
         SELECT $1, p, $2, $3 FROM generate_series(0, 3) AS p
         ON CONFLICT (projection, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,
             log_epoch = EXCLUDED.log_epoch",
    )
    .bind(projection)
    .bind(next_offset)
    .bind(log_epoch)
    .execute(&app.pool)
    .await?;
    Ok(())
}

const INVENTORY: &str = r#"{ inventory(sku: "SNK-42") { available } }"#;

#[tokio::test]
async fn tokens_are_answered_fresh_stale_or_refused_and_the_response_says_which()
-> anyhow::Result<()> {
    let mut app = TestApp::seeded("consistency_outcomes").await?;
    app.state.consistency_wait = Duration::from_millis(200);
    let epoch = Uuid::from_u128(42);
    checkpoints(&app, "inventory", 11, epoch).await?;

    // Passed: offset 10 is below next_offset 11 on every partition listed.
    let fresh = query_with_token(&app.state, INVENTORY, &format!("v1.{epoch}.0:10,3:2")).await?;
    assert_eq!(fresh["data"]["inventory"]["available"], 2);
    assert_eq!(fresh["extensions"]["consistency"]["stale"], false);

    // Not passed within the bound: answered anyway, flagged stale.
    let late = query_with_token(&app.state, INVENTORY, &format!("v1.{epoch}.1:11")).await?;
    assert_eq!(late["data"]["inventory"]["available"], 2);
    let report = &late["extensions"]["consistency"];
    assert_eq!(report["stale"], true, "{late}");
    assert_eq!(report["reason"], "TIMEOUT");
    assert!(
        report["waitedMs"].as_u64().is_some_and(|ms| ms >= 200),
        "{late}"
    );

    // Another log epoch can never be passed: stale at once, with the reason.
    let other = Uuid::from_u128(7);
    let foreign = query_with_token(&app.state, INVENTORY, &format!("v1.{other}.0:1")).await?;
    assert_eq!(foreign["data"]["inventory"]["available"], 2);
    assert_eq!(
        foreign["extensions"]["consistency"]["reason"],
        "LOG_EPOCH_MISMATCH"
    );
    assert!(
        foreign["extensions"]["consistency"]["waitedMs"]
            .as_u64()
            .is_some_and(|ms| ms < 200)
    );

    // A malformed token is the caller's error, before anything runs.
    let statements = app.statements();
    let garbled = query_with_token(&app.state, INVENTORY, "v1.nonsense").await?;
    assert_eq!(garbled["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(garbled.get("data").is_none_or(Value::is_null), "{garbled}");
    assert_eq!(app.statements(), statements);
    Ok(())
}

/// Signs an admin token with the dev secret the spawned services use.
fn admin_token(ns: &TestNamespace) -> anyhow::Result<String> {
    let output = std::process::Command::new(runtime::testing::binary_path("agora-command-api"))
        .args(["mint-token", "--role", "admin", "--subject", "tests"])
        .envs(ns.env())
        .output()?;
    anyhow::ensure!(output.status.success(), "mint-token failed");
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

/// The write side and the projector of `ns`, as processes, and the command API's base URL.
async fn write_side(ns: &TestNamespace) -> anyhow::Result<(Vec<ChildProcess>, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let children = vec![
        ns.spawn(
            "agora-processor",
            &[],
            &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
        )?,
        ns.spawn(
            "agora-projector",
            &["run"],
            &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
        )?,
        ns.spawn(
            "agora-command-api",
            &["serve"],
            &[
                ("AGORA_COMMAND_ADDR", &addr),
                ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
            ],
        )?,
    ];
    Ok((children, format!("http://{addr}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_published_through_command_api_is_read_back_at_once_with_its_token()
-> anyhow::Result<()> {
    let ns = TestNamespace::create("qa-read-your-writes").await?;
    let (_children, api) = write_side(&ns).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let token = admin_token(&ns)?;
    let state = AppState::new(&query_api::config::Config::for_database(&ns.database_url))?;

    // Start-up only: the command API answers and the projector has created its tables.
    eventually(
        Duration::from_secs(60),
        "the write side and projector to start",
        || {
            let (http, health, store) =
                (http.clone(), format!("{api}/healthz"), state.store.clone());
            async move {
                let api_up = http
                    .get(&health)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                Ok((api_up && store.ready().await.unwrap_or(false)).then_some(()))
            }
        },
    )
    .await?;

    let post = |path: String, body: Value, key: &'static str| {
        let request = http
            .post(format!("{api}{path}"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body);
        async move {
            let response = request.send().await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            Ok::<Value, anyhow::Error>(response.json().await?)
        }
    };
    let created = post(
        "/products".to_string(),
        json!({ "name": "Token Scarf", "slug": "token-scarf", "category": "accessories",
                "brand": "Agora", "variants": [
                    { "sku": "TOKEN-1", "name": "One", "price": { "amount_minor": 1500, "currency": "EUR" } }
                ] }),
        "rw-create",
    )
    .await?;
    let id = created["product_id"]
        .as_str()
        .context("no product id")?
        .to_string();
    let published = post(format!("/products/{id}/publish"), json!({}), "rw-publish").await?;
    let written = published["consistency_token"]
        .as_str()
        .context("no consistency token")?;

    // No sleep, no retry: the token makes the read wait for the projection.
    let query = format!(r#"{{ product(id: "{id}") {{ name status variants {{ sku }} }} }}"#);
    let response = query_with_token(&state, &query, written).await?;
    assert_eq!(
        response["data"]["product"],
        json!({ "name": "Token Scarf", "status": "PUBLISHED", "variants": [{ "sku": "TOKEN-1" }] }),
        "{response}"
    );
    assert_eq!(response["extensions"]["consistency"]["stale"], false);
    Ok(())
}
