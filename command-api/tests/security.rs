//! Security of the command API against a running stack: forged and malformed bearer tokens are
//! refused with 401 before anything is sent, a genuine token naming no account cannot change a
//! password (401 `account_not_found`, while an account the read model has not caught up with
//! gets 503), and one customer cannot change another's address book. (Refresh-token reuse, login throttling and staff-only commands are in `identity.rs`;
//! carts, orders and payments of other customers in `checkout.rs`.)
//!
//! Build the binaries first: `cargo build -p command-api -p projectors --bins`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use command_api::auth::{AUDIENCE, DEV_SECRET};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use support::{
    WriteSide, counted_events,
    identity::{IdentityStack, field},
    scan_log,
};

/// Signs arbitrary claims with `algorithm` and `secret`.
fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims(role: &str, aud: &str, expires_in: i64) -> Value {
    json!({ "sub": "mallory", "role": role, "aud": aud,
            "exp": chrono::Utc::now().timestamp() + expires_in })
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_unsigned_and_foreign_tokens_are_refused_before_anything_is_sent() {
    let side = WriteSide::start("security-tokens", 1, 1).await.unwrap();
    side.create_product("tokens", &["TOK-1"]).await.unwrap();

    let customer = sign(
        &claims("customer", AUDIENCE, 900),
        Algorithm::HS256,
        DEV_SECRET,
    );
    let admin_payload = b64(&claims("admin", AUDIENCE, 900));
    let mut parts: Vec<&str> = customer.split('.').collect();
    parts[1] = &admin_payload;
    let role_swapped = parts.join(".");
    let mut signature_flipped = customer.clone();
    let last = signature_flipped.pop().unwrap();
    signature_flipped.push(if last == 'A' { 'B' } else { 'A' });
    let none_header = b64(&json!({ "alg": "none", "typ": "JWT" }));
    let cases: Vec<(&str, String)> = vec![
        ("role_swapped_in_payload", format!("Bearer {role_swapped}")),
        ("signature_flipped", format!("Bearer {signature_flipped}")),
        (
            "other_secret",
            format!(
                "Bearer {}",
                sign(
                    &claims("admin", AUDIENCE, 900),
                    Algorithm::HS256,
                    "not-the-secret"
                )
            ),
        ),
        (
            "expired",
            format!(
                "Bearer {}",
                sign(
                    &claims("admin", AUDIENCE, -120),
                    Algorithm::HS256,
                    DEV_SECRET
                )
            ),
        ),
        ("alg_none", format!("Bearer {none_header}.{admin_payload}.")),
        (
            "alg_hs512",
            format!(
                "Bearer {}",
                sign(
                    &claims("admin", AUDIENCE, 900),
                    Algorithm::HS512,
                    DEV_SECRET
                )
            ),
        ),
        (
            "wrong_audience",
            format!(
                "Bearer {}",
                sign(
                    &claims("admin", "elsewhere", 900),
                    Algorithm::HS256,
                    DEV_SECRET
                )
            ),
        ),
        (
            "no_audience",
            format!(
                "Bearer {}",
                sign(
                    &json!({ "sub": "m", "role": "admin", "exp": chrono::Utc::now().timestamp() + 900 }),
                    Algorithm::HS256,
                    DEV_SECRET
                )
            ),
        ),
        (
            "unknown_role",
            format!(
                "Bearer {}",
                sign(&claims("root", AUDIENCE, 900), Algorithm::HS256, DEV_SECRET)
            ),
        ),
        ("not_bearer", format!("Basic {customer}")),
        ("empty_bearer", "Bearer ".to_string()),
        ("garbage", "Bearer a.b.c".to_string()),
    ];
    let total = cases.len();
    for (name, authorization) in cases {
        let before = side.commands_end().unwrap();
        let response = side
            .http
            .post(format!("{}/inventory/TOK-1/receive", side.api(0)))
            .header("authorization", authorization)
            .json(&json!({ "quantity": 5 }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["error"]["code"], "unauthenticated", "{name}: {body}");
        assert_eq!(
            side.commands_end().unwrap(),
            before,
            "{name}: a command was sent"
        );
    }
    // The genuine staff token still works, so the refusals above are about the tokens.
    let (status, body) = side
        .post(
            0,
            "/inventory/TOK-1/receive",
            json!({ "quantity": 5 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    eprintln!("security tokens: {total} forged tokens refused");
}

fn address(line1: &str) -> Value {
    json!({ "recipient": "Alice", "line1": line1, "city": "Oslo", "postal_code": "0150",
            "country": "NO" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_change_or_remove_another_customers_addresses() {
    let stack = IdentityStack::start("security-addresses").await.unwrap();
    let alice = stack
        .register("alice@example.com", "alices password")
        .await
        .unwrap();
    let bob = stack
        .register("bob@example.com", "bobs password!")
        .await
        .unwrap();
    let (alice_token, bob_token) = (field(&alice, "access_token"), field(&bob, "access_token"));
    let added = stack
        .call(
            Method::POST,
            "/me/addresses",
            address("1 Karl Johans gate"),
            Some(&alice_token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(added.status, 200, "{added:?}");
    let path = format!("/me/addresses/{}", field(&added.body, "address_id"));
    let alice_stream = format!("customer-{}", field(&alice, "customer_id"));
    let before = counted_events(&scan_log(&stack.side.ns).await.unwrap(), &alice_stream).len();

    for (method, path, body) in [
        (Method::PUT, path.clone(), address("Somewhere else")),
        (Method::DELETE, path.clone(), json!({})),
        (Method::POST, format!("{path}/default"), json!({})),
    ] {
        let answer = stack
            .call(method.clone(), &path, body, Some(&bob_token), None)
            .await
            .unwrap();
        assert_eq!(answer.status, 404, "{method} {path}: {answer:?}");
        assert_eq!(answer.body["error"]["code"], "address_not_found");
    }
    let after = counted_events(&scan_log(&stack.side.ns).await.unwrap(), &alice_stream);
    assert_eq!(after.len(), before, "Alice's stream changed: {after:?}");
    // Alice herself can still change it.
    let own = stack
        .call(
            Method::PUT,
            &path,
            address("2 Karl Johans gate"),
            Some(&alice_token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(own.status, 200, "{own:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_naming_no_account_cannot_change_a_password_and_is_told_to_log_in() {
    let mut stack = IdentityStack::start("security-no-account").await.unwrap();
    let change = json!({ "current_password": "whatever it was", "new_password": "a new password" });

    // Signed with the real secret, for an id no account has: not a read model lag that a
    // retry would outwait, so 401 rather than 503.
    let stranger = sign(
        &json!({ "sub": uuid::Uuid::new_v4().to_string(), "role": "customer", "aud": AUDIENCE,
                 "exp": chrono::Utc::now().timestamp() + 900 }),
        Algorithm::HS256,
        DEV_SECRET,
    );
    let before = stack.side.commands_end().unwrap();
    let answer = stack
        .call(
            Method::POST,
            "/auth/password",
            change.clone(),
            Some(&stranger),
            None,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(
        answer.body["error"]["code"], "account_not_found",
        "{answer:?}"
    );
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(
        stack.side.commands_end().unwrap(),
        before,
        "a command was sent"
    );

    // A real account the read model does not show yet (its projector is gone) still gets 503:
    // it holds the session its registration opened, so a retry will find it.
    let alice = stack
        .register("alice@example.com", "alices password")
        .await
        .unwrap();
    stack
        .wait_for_account(&field(&alice, "customer_id"), "customer", true)
        .await
        .unwrap();
    stack.projector.kill9().unwrap();
    let bob = stack
        .register("bob@example.com", "bobs password!")
        .await
        .unwrap();
    let answer = stack
        .call(
            Method::POST,
            "/auth/password",
            change,
            Some(&field(&bob, "access_token")),
            None,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "unavailable", "{answer:?}");
}
