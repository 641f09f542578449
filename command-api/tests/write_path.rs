//! The write path against the real broker: idempotency and no oversell under concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use runtime::log::{Counted, ItemKind};
use serde_json::json;
use support::{WriteSide, counted_events, scan_log};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_sent_twice_appends_one_commit_and_returns_the_same_result() {
    let side = WriteSide::start("idempotency", 1, 1).await.unwrap();
    side.create_product("idem-sock", &["IDEM-1"]).await.unwrap();

    let body = json!({ "quantity": 7 });
    let first = side
        .post(
            0,
            "/inventory/IDEM-1/receive",
            body.clone(),
            Some("receive-7"),
        )
        .await
        .unwrap();
    let second = side
        .post(0, "/inventory/IDEM-1/receive", body, Some("receive-7"))
        .await
        .unwrap();
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first, second, "a retried request must get the same answer");

    let reused = side
        .post(
            0,
            "/inventory/IDEM-1/receive",
            json!({ "quantity": 8 }),
            Some("receive-7"),
        )
        .await
        .unwrap();
    assert_eq!(reused.0, 422);
    assert_eq!(reused.1["error"]["code"], "idempotency_key_reused");

    let log = scan_log(&side.ns).await.unwrap();
    let received: Vec<_> = counted_events(&log, "inventory-IDEM-1")
        .into_iter()
        .filter(|e| e.event_type == "StockReceived")
        .collect();
    assert_eq!(
        received.len(),
        1,
        "one StockReceived for two identical requests"
    );
    assert_eq!(received[0].data["on_hand"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_decrements_of_one_hundred_units_through_two_apis_never_oversell() {
    let mut side = WriteSide::start("no-oversell", 1, 2).await.unwrap();
    side.create_product("hot-item", &["HOT-1"]).await.unwrap();
    let (status, body) = side
        .post(
            0,
            "/inventory/HOT-1/receive",
            json!({ "quantity": 100 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");

    let side_ref = &side;
    let attempts = (0..200).map(|i| async move {
        side_ref
            .post(
                i % 2,
                "/inventory/HOT-1/adjust",
                json!({ "delta": -1, "reason": "sold" }),
                None,
            )
            .await
    });
    let results = futures::future::join_all(attempts).await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for result in &results {
        let (status, body) = result.as_ref().unwrap();
        if *status == 409 {
            assert_eq!(body["error"]["code"], "insufficient_stock");
        }
        *by_status.entry(*status).or_default() += 1;
    }
    assert_eq!(by_status.get(&200), Some(&100), "{by_status:?}");
    assert_eq!(by_status.get(&409), Some(&100), "{by_status:?}");

    let log = scan_log(&side.ns).await.unwrap();
    let events = counted_events(&log, "inventory-HOT-1");
    let adjustments: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "StockAdjusted")
        .collect();
    assert_eq!(adjustments.len(), 100);
    for event in &events {
        if let Some(on_hand) = event.data.get("on_hand").and_then(|v| v.as_i64()) {
            assert!(
                on_hand >= 0,
                "stock went negative at version {}",
                event.version
            );
        }
    }
    assert_eq!(adjustments.last().unwrap().data["on_hand"], 0);
    let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(versions, expected, "stream versions are gap-free");
    let rejections = log
        .iter()
        .filter(|i| matches!(&i.kind, ItemKind::Counted(Counted::Rejection(r)) if r.stream == "inventory-HOT-1"))
        .count();
    assert_eq!(rejections, 100, "every refusal is recorded in the log");
    side.apis.clear();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_a_clear_4xx_in_the_error_envelope() {
    let side = WriteSide::start("bad-input", 1, 1).await.unwrap();
    let base = side.api(0).to_string();
    let http = &side.http;
    let token = &side.token;
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            http.post(format!("{base}/products/not-a-uuid/publish"))
                .bearer_auth(token),
            400,
            "bad_request",
        ),
        (
            http.get(format!("{base}/products")).bearer_auth(token),
            405,
            "method_not_allowed",
        ),
        (http.post(format!("{base}/nowhere")), 404, "route_not_found"),
        (
            http.post(format!("{base}/inventory/SKU-1/receive"))
                .bearer_auth(token)
                .body("{\"quantity\": 1}"),
            415,
            "unsupported_media_type",
        ),
        (
            http.post(format!("{base}/inventory/SKU-1/receive"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(vec![b' '; 300 * 1024]),
            413,
            "payload_too_large",
        ),
        (
            http.post(format!("{base}/inventory/SKU-1/receive"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body("{\"quantity\": "),
            400,
            "bad_request",
        ),
        (
            http.post(format!("{base}/inventory/SKU-1/receive"))
                .bearer_auth(token)
                .json(&json!({ "quantity": -5 })),
            422,
            "validation_failed",
        ),
        (
            http.post(format!("{base}/inventory/SKU-1/adjust"))
                .bearer_auth(token)
                .json(&json!({ "delta": "many", "reason": "x" })),
            422,
            "validation_failed",
        ),
        (
            http.post(format!("{base}/inventory/bad%20sku/receive"))
                .bearer_auth(token)
                .json(&json!({ "quantity": 1 })),
            422,
            "validation_failed",
        ),
        (
            http.post(format!("{base}/inventory/NOPE-1/receive"))
                .bearer_auth(token)
                .json(&json!({ "quantity": 1 })),
            404,
            "unknown_sku",
        ),
        (
            http.post(format!("{base}/inventory/NOPE-1/receive"))
                .bearer_auth("forged")
                .json(&json!({ "quantity": 1 })),
            401,
            "unauthenticated",
        ),
    ];
    for (request, status, code) in cases {
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}
