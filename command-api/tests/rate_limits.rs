//! The per-caller command rate limit of a running command API (`http::rate_limit`): an API
//! started with a small budget refuses a caller's requests past it with 429 `rate_limited` and
//! `Retry-After` before anything is sent, keeps one bucket per token subject and one per
//! address for anonymous callers (a forged token counts as anonymous), and never limits the
//! probes or the docs. In dev mode, without settings, there is no limit.
//!
//! Build the binaries first: `cargo build -p command-api --bins`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use command_api::auth::{AUDIENCE, Claims, DEV_SECRET, Keys, Role};
use runtime::testing::eventually;
use serde_json::{Value, json};
use support::{WriteSide, free_port};

/// The small budget: 3 requests at once, then one every 20 s (so none comes back mid-test).
const BURST: u32 = 3;
const PER_SECOND: &str = "0.05";

/// Starts an API instance with extra environment and waits until it answers.
async fn start_api(side: &mut WriteSide, extra: &[(&str, &str)]) -> String {
    let addr = format!("127.0.0.1:{}", free_port().unwrap());
    let mut env = vec![
        ("AGORA_COMMAND_ADDR", addr.as_str()),
        ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
    ];
    env.extend_from_slice(extra);
    let child = side
        .ns
        .spawn("agora-command-api", &["serve"], &env)
        .unwrap();
    let base = format!("http://{addr}");
    let http = side.http.clone();
    let health = format!("{base}/healthz");
    eventually(Duration::from_secs(30), "the command API to answer", || {
        let (http, health) = (http.clone(), health.clone());
        async move {
            Ok(http
                .get(&health)
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success()))
        }
    })
    .await
    .unwrap();
    side.apis.push((child, base.clone()));
    base
}

/// Status, `Retry-After` and body of a POST with an optional bearer token.
async fn post(
    side: &WriteSide,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut request = side.http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (
        status,
        retry_after,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn customer_token(subject: &str) -> String {
    Keys::from_secret(DEV_SECRET)
        .sign(&Claims {
            sub: subject.into(),
            role: Role::Customer,
            aud: AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 900,
        })
        .unwrap()
}

/// Asserts a 429 `rate_limited` in the envelope whose `Retry-After` is the whole seconds until
/// the bucket holds a token again (at most 20 s at this rate).
fn assert_rate_limited(what: &str, (status, retry_after, body): &(u16, Option<String>, Value)) {
    assert_eq!(*status, 429, "{what}: {body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{what}: {body}");
    let seconds: u64 = retry_after
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .parse()
        .unwrap();
    assert!((1..=20).contains(&seconds), "{what}: Retry-After {seconds}");
    assert_eq!(
        body["error"]["details"]["retry_after_secs"], seconds,
        "{what}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_over_its_budget_gets_429_with_retry_after_and_others_keep_theirs() {
    let mut side = WriteSide::start("rate-limits", 1, 0).await.unwrap();
    let burst = BURST.to_string();
    let api = start_api(
        &mut side,
        &[
            ("AGORA_COMMAND_RATE_PER_SECOND", PER_SECOND),
            ("AGORA_COMMAND_BURST", &burst),
        ],
    )
    .await;
    let receive = format!("{api}/inventory/RL-1/receive");
    let staff = side.token.clone();

    // The staff token's burst goes through to the processor (an unknown SKU: 404 from the
    // domain, so each request was really sent), then the bucket is empty.
    for i in 0..BURST {
        let (status, _, body) = post(&side, &receive, Some(&staff), json!({ "quantity": 1 })).await;
        assert_eq!(status, 404, "request {i}: {body}");
        assert_eq!(body["error"]["code"], "unknown_sku", "request {i}: {body}");
    }
    let before = side.commands_end().unwrap();
    let refused = post(&side, &receive, Some(&staff), json!({ "quantity": 1 })).await;
    assert_rate_limited("staff over budget", &refused);
    assert_eq!(
        side.commands_end().unwrap(),
        before,
        "a refused request sent a command"
    );

    // Another subject has its own bucket.
    let shopper = customer_token(&uuid::Uuid::new_v4().to_string());
    let (status, _, body) = post(
        &side,
        &format!("{api}/carts/mine"),
        Some(&shopper),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Anonymous callers share their address's bucket; a forged token is anonymous, not a new
    // caller with a fresh budget.
    for i in 0..BURST {
        let (status, _, body) = post(&side, &format!("{api}/carts"), None, json!({})).await;
        assert_eq!(status, 200, "guest cart {i}: {body}");
    }
    let guest = post(&side, &format!("{api}/carts"), None, json!({})).await;
    assert_rate_limited("guest over budget", &guest);
    let forged = Keys::from_secret("not-the-secret")
        .sign(&Claims {
            sub: "mallory".into(),
            role: Role::Admin,
            aud: AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 900,
        })
        .unwrap();
    let forged = post(&side, &receive, Some(&forged), json!({ "quantity": 1 })).await;
    assert_rate_limited("forged token from the same address", &forged);

    // Probes, metrics and the docs are outside the limit.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"] {
        for _ in 0..BURST + 2 {
            let status = side
                .http
                .get(format!("{api}{path}"))
                .send()
                .await
                .unwrap()
                .status();
            assert_ne!(status.as_u16(), 429, "{path} was rate limited");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_dev_mode_without_settings_there_is_no_command_rate_limit() {
    let mut side = WriteSide::start("rate-limits-off", 1, 0).await.unwrap();
    // Empty reads as unset, whatever the test runner's environment holds.
    let api = start_api(
        &mut side,
        &[
            ("AGORA_COMMAND_RATE_PER_SECOND", ""),
            ("AGORA_COMMAND_BURST", ""),
        ],
    )
    .await;
    for i in 0..120 {
        let (status, _, body) = post(&side, &format!("{api}/carts"), None, json!({})).await;
        assert_eq!(status, 200, "guest cart {i}: {body}");
    }
}
