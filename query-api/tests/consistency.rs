//! Read-your-writes: a request carrying the consistency token of a command sees that command's
//! effects, and says so in `extensions.consistency`.

mod common;

use std::time::Duration;

use anyhow::Context as _;
use axum::{
    body::Body,
    http::{Request, header},
};
use common::{
    TestApp,
    write_side::{WriteSide, read},
};
use query_api::startup::{AppState, router};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_published_through_command_api_is_read_back_at_once_with_its_token()
-> anyhow::Result<()> {
    let side = WriteSide::start("qa-read-your-writes").await?;
    let staff = side.staff_token.clone();
    let created = side
        .command(
            "/products",
            &staff,
            json!({ "name": "Token Scarf", "slug": "token-scarf", "category": "accessories",
                    "brand": "Agora", "variants": [
                        { "sku": "TOKEN-1", "name": "One", "price": { "amount_minor": 1500, "currency": "EUR" } }
                    ] }),
            None,
        )
        .await?;
    let id = created.body["product_id"]
        .as_str()
        .context("no product id")?
        .to_string();
    let published = side
        .command(&format!("/products/{id}/publish"), &staff, json!({}), None)
        .await?;

    // No sleep, no retry: the token makes the read wait for the projection.
    let query = format!(r#"{{ product(id: "{id}") {{ name status variants {{ sku }} }} }}"#);
    let response = query_with_token(&side.state, &query, &published.token).await?;
    assert_eq!(
        response["data"]["product"],
        json!({ "name": "Token Scarf", "status": "PUBLISHED", "variants": [{ "sku": "TOKEN-1" }] }),
        "{response}"
    );
    assert_eq!(response["extensions"]["consistency"]["stale"], false);
    Ok(())
}

const ORDER: &str = "query($id: ID!) {
  order(id: $id) {
    id status total { amountMinor currency } placedAt
    lines { line sku quantity unitPrice { amountMinor } lineTotal { amountMinor } }
    history { status occurredAt }
  }
}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_through_command_api_is_read_back_at_once_with_the_checkout_token()
-> anyhow::Result<()> {
    let side = WriteSide::start("qa-ryw-order").await?;
    let (product, published) = side.stocked_product("ryw-mug", "RYW-MUG", 5).await?;
    side.for_sale(&product, &published).await?;
    let customer = side.register("ryw@example.com").await?;

    let checkout = side.buy(&customer, "RYW-MUG", 2).await?;
    let order_id = checkout.body["order_id"]
        .as_str()
        .context("no order id")?
        .to_string();

    // Immediately, with the checkout's token: no sleep, no retry.
    let answer = read(
        &side.state,
        ORDER,
        json!({ "id": order_id }),
        Some(&customer.token),
        Some(&checkout.token),
    )
    .await?;
    assert!(answer.get("errors").is_none(), "{answer}");
    assert_eq!(
        answer["extensions"]["consistency"]["stale"], false,
        "{answer}"
    );
    let order = &answer["data"]["order"];
    assert_eq!(order["id"], order_id.as_str());
    // Nothing moves it past `placed` here (no saga), so the read model holds exactly that.
    assert_eq!(order["status"], "placed", "{answer}");
    // Ids, times and how long the wait took differ per run.
    let mut order = order.clone();
    order["id"] = json!("[order id]");
    order["placedAt"] = json!("[timestamp]");
    for change in order["history"].as_array_mut().into_iter().flatten() {
        change["occurredAt"] = json!("[timestamp]");
    }
    insta::assert_json_snapshot!("placed_order", order);
    Ok(())
}
