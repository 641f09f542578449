//! Hostile requests through a running command API, one table of cases: oversized and deeply
//! nested bodies, invalid UTF-8, wrong types, missing fields, zero/negative/huge quantities and
//! prices, unknown SKUs, bad UUIDs, bad `Idempotency-Key`s, wrong content types.
//!
//! Every case must get the 4xx it names, in the error envelope, and write nothing that counts:
//! a case refused before sending must leave `agora.commands` where it was, and after the whole
//! table the events log must hold no commit it did not hold before (domain refusals leave only
//! `Rejection` records). The case count is printed.
//!
//! Build the binaries first: `cargo build -p command-api -p projectors --bins`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::{Method, RequestBuilder};
use runtime::log::{Counted, ItemKind, LogItem};
use serde_json::{Value, json};
use support::{WriteSide, scan_log};

/// Where a refusal may come from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Origin {
    /// Refused by the API itself: no command may reach `agora.commands`.
    Api,
    /// Refused by the domain in the processor: a `Rejection` in the log, no commit.
    Domain,
}

struct Case {
    name: &'static str,
    request: RequestBuilder,
    status: u16,
    code: &'static str,
    origin: Origin,
}

fn count(log: &[LogItem], commits: bool) -> usize {
    log.iter()
        .filter(|item| match &item.kind {
            ItemKind::Counted(Counted::Commit(_)) => commits,
            ItemKind::Counted(Counted::Rejection(_)) => !commits,
            _ => false,
        })
        .count()
}

/// Checks the envelope: JSON, `error.code` as expected, a non-empty message, nothing else.
fn assert_envelope(name: &str, content_type: &str, body: &Value, code: &str) {
    assert!(
        content_type.starts_with("application/json"),
        "{name}: content type {content_type}"
    );
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("{name}: no envelope in {body}"));
    assert_eq!(error["code"], code, "{name}: {body}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{name}: {body}"
    );
    assert!(
        error
            .keys()
            .all(|k| ["code", "message", "details"].contains(&k.as_str())),
        "{name}: {body}"
    );
}

fn product(variant_price: Value) -> Value {
    json!({ "name": "Hostile", "slug": "hostile-2", "category": "tests", "brand": "Agora",
            "variants": [{ "sku": "HOST-2", "name": "two", "price": variant_price }] })
}

fn cases(side: &WriteSide, product_id: &str) -> Vec<Case> {
    use Origin::{Api, Domain};
    let base = side.api(0);
    let token = &side.token;
    let http = &side.http;
    let to = |method: Method, path: &str| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(token)
    };
    let json_bytes = |method: Method, path: &str, bytes: Vec<u8>| {
        to(method, path)
            .header("content-type", "application/json")
            .body(bytes)
    };
    let receive = "/inventory/HOST-1/receive";
    let adjust = "/inventory/HOST-1/adjust";
    let deep = |depth: usize| {
        format!(
            r#"{{"delta": 1, "reason": "x", "nested": {}1{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    let big_string = "a".repeat(300 * 1024);
    let case = |name, request, status, code, origin| Case {
        name,
        request,
        status,
        code,
        origin,
    };
    vec![
        // Size and shape of the body.
        case(
            "body_over_limit",
            to(Method::POST, receive).json(&json!({ "quantity": 1, "pad": big_string })),
            413,
            "payload_too_large",
            Api,
        ),
        case(
            "body_of_5_mib",
            json_bytes(Method::POST, receive, vec![b' '; 5 * 1024 * 1024]),
            413,
            "payload_too_large",
            Api,
        ),
        case(
            "nesting_200_deep",
            json_bytes(Method::POST, adjust, deep(200).into_bytes()),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "nesting_100000_deep",
            json_bytes(Method::POST, adjust, deep(100_000).into_bytes()),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "invalid_utf8_in_string",
            json_bytes(
                Method::POST,
                adjust,
                b"{\"delta\":1,\"reason\":\"\xff\xfe\"}".to_vec(),
            ),
            400,
            "bad_request",
            Api,
        ),
        case(
            "invalid_utf8_body",
            json_bytes(Method::POST, receive, vec![0xc3, 0x28, 0xa0, 0xa1]),
            400,
            "bad_request",
            Api,
        ),
        case(
            "empty_body",
            json_bytes(Method::POST, receive, Vec::new()),
            400,
            "bad_request",
            Api,
        ),
        case(
            "truncated_json",
            json_bytes(Method::POST, receive, b"{\"quantity\": ".to_vec()),
            400,
            "bad_request",
            Api,
        ),
        case(
            "trailing_garbage",
            json_bytes(Method::POST, receive, b"{\"quantity\": 1} xyz".to_vec()),
            400,
            "bad_request",
            Api,
        ),
        case(
            "body_is_a_string",
            to(Method::POST, receive).json(&json!("quantity")),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "body_is_null",
            to(Method::POST, receive).json(&Value::Null),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "duplicate_field",
            json_bytes(
                Method::POST,
                receive,
                b"{\"quantity\":1,\"quantity\":2}".to_vec(),
            ),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "unknown_field",
            to(Method::POST, receive).json(&json!({ "quantity": 1, "admin": true })),
            422,
            "validation_failed",
            Api,
        ),
        // Types and missing fields.
        case(
            "missing_field",
            to(Method::POST, receive).json(&json!({})),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "quantity_as_string",
            to(Method::POST, receive).json(&json!({ "quantity": "10" })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "quantity_as_float",
            to(Method::POST, receive).json(&json!({ "quantity": 1.5 })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "quantity_as_bool",
            to(Method::POST, receive).json(&json!({ "quantity": true })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "quantity_null",
            to(Method::POST, receive).json(&json!({ "quantity": null })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "reason_as_object",
            to(Method::POST, adjust).json(&json!({ "delta": 1, "reason": {"a": 1} })),
            422,
            "validation_failed",
            Api,
        ),
        // Quantities.
        case(
            "quantity_negative",
            to(Method::POST, receive).json(&json!({ "quantity": -1 })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "quantity_u64_max",
            to(Method::POST, receive).json(&json!({ "quantity": u64::MAX })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "quantity_u32_max_plus_one",
            to(Method::POST, receive).json(&json!({ "quantity": u64::from(u32::MAX) + 1 })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "quantity_1e30",
            json_bytes(Method::POST, receive, b"{\"quantity\": 1e30}".to_vec()),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "delta_i64_overflow",
            json_bytes(
                Method::POST,
                adjust,
                b"{\"delta\": 9223372036854775808, \"reason\": \"x\"}".to_vec(),
            ),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "delta_i64_min",
            to(Method::POST, adjust).json(&json!({ "delta": i64::MIN, "reason": "x" })),
            409,
            "insufficient_stock",
            Domain,
        ),
        case(
            "quantity_zero",
            to(Method::POST, receive).json(&json!({ "quantity": 0 })),
            422,
            "invalid_quantity",
            Domain,
        ),
        case(
            "delta_zero",
            to(Method::POST, adjust).json(&json!({ "delta": 0, "reason": "x" })),
            422,
            "invalid_adjustment",
            Domain,
        ),
        case(
            "reason_blank",
            to(Method::POST, adjust).json(&json!({ "delta": 1, "reason": "   " })),
            422,
            "missing_reason",
            Domain,
        ),
        // Prices.
        case(
            "price_negative",
            to(Method::POST, "/products")
                .json(&product(json!({ "amount_minor": -1, "currency": "EUR" }))),
            422,
            "invalid_price",
            Domain,
        ),
        case(
            "price_u64_max",
            to(Method::POST, "/products").json(&product(
                json!({ "amount_minor": u64::MAX, "currency": "EUR" }),
            )),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "price_as_float",
            to(Method::POST, "/products")
                .json(&product(json!({ "amount_minor": 12.5, "currency": "EUR" }))),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "price_bad_currency",
            to(Method::POST, "/products")
                .json(&product(json!({ "amount_minor": 100, "currency": "EURO" }))),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "price_change_negative",
            to(
                Method::PUT,
                &format!("/products/{product_id}/variants/HOST-1/price"),
            )
            .json(&json!({ "price": { "amount_minor": -5, "currency": "EUR" } })),
            422,
            "invalid_price",
            Domain,
        ),
        // Unknown things.
        case(
            "unknown_sku",
            to(Method::POST, "/inventory/NOPE-1/receive").json(&json!({ "quantity": 1 })),
            404,
            "unknown_sku",
            Domain,
        ),
        case(
            "unknown_product",
            to(
                Method::POST,
                &format!("/products/{}/publish", uuid::Uuid::new_v4()),
            ),
            404,
            "product_not_found",
            Domain,
        ),
        case(
            "sku_with_space",
            to(Method::POST, "/inventory/bad%20sku/receive").json(&json!({ "quantity": 1 })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "sku_with_nul",
            to(Method::POST, "/inventory/A%00B/receive").json(&json!({ "quantity": 1 })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "sku_invalid_utf8",
            to(Method::POST, "/inventory/%FF%FE/receive").json(&json!({ "quantity": 1 })),
            400,
            "bad_request",
            Api,
        ),
        case(
            "sku_too_long",
            to(
                Method::POST,
                &format!("/inventory/{}/receive", "S".repeat(65)),
            )
            .json(&json!({ "quantity": 1 })),
            422,
            "validation_failed",
            Api,
        ),
        // Bad UUIDs in paths and bodies.
        case(
            "product_id_not_uuid",
            to(Method::POST, "/products/not-a-uuid/publish"),
            400,
            "bad_request",
            Api,
        ),
        case(
            "order_id_not_uuid",
            to(Method::POST, "/orders/123/cancel"),
            400,
            "bad_request",
            Api,
        ),
        case(
            "cart_id_sql",
            to(Method::POST, "/carts/1';DROP%20TABLE%20carts;--/lines")
                .json(&json!({ "sku": "HOST-1", "quantity": 1 })),
            400,
            "bad_request",
            Api,
        ),
        case(
            "merge_guest_not_uuid",
            to(
                Method::POST,
                &format!("/carts/{}/merge", uuid::Uuid::new_v4()),
            )
            .json(&json!({ "guest_cart_id": "nope" })),
            422,
            "validation_failed",
            Api,
        ),
        // Idempotency keys.
        case(
            "key_too_long",
            to(Method::POST, receive)
                .header("idempotency-key", "k".repeat(201))
                .json(&json!({ "quantity": 1 })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "key_empty",
            to(Method::POST, receive)
                .header("idempotency-key", "")
                .json(&json!({ "quantity": 1 })),
            422,
            "validation_failed",
            Api,
        ),
        case(
            "key_not_ascii",
            to(Method::POST, receive)
                .header(
                    "idempotency-key",
                    reqwest::header::HeaderValue::from_bytes(b"k\xff").unwrap(),
                )
                .json(&json!({ "quantity": 1 })),
            422,
            "validation_failed",
            Api,
        ),
        // Content types and methods.
        case(
            "text_plain",
            to(Method::POST, receive)
                .header("content-type", "text/plain")
                .body("{\"quantity\": 1}"),
            415,
            "unsupported_media_type",
            Api,
        ),
        case(
            "no_content_type",
            to(Method::POST, receive).body("{\"quantity\": 1}"),
            415,
            "unsupported_media_type",
            Api,
        ),
        case(
            "form_encoded",
            to(Method::POST, receive)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("quantity=1"),
            415,
            "unsupported_media_type",
            Api,
        ),
        case(
            "xml",
            to(Method::POST, receive)
                .header("content-type", "application/xml")
                .body("<quantity>1</quantity>"),
            415,
            "unsupported_media_type",
            Api,
        ),
        case(
            "wrong_method",
            to(Method::GET, receive),
            405,
            "method_not_allowed",
            Api,
        ),
        case(
            "unknown_route",
            to(Method::POST, "/inventory"),
            404,
            "route_not_found",
            Api,
        ),
        // Authorization before anything else.
        case(
            "customer_on_staff_route",
            http.post(format!("{base}{receive}"))
                .bearer_auth(customer_token())
                .json(&json!({ "quantity": 1 })),
            403,
            "forbidden",
            Api,
        ),
        case(
            "no_token",
            http.post(format!("{base}{receive}"))
                .json(&json!({ "quantity": 1 })),
            401,
            "unauthenticated",
            Api,
        ),
    ]
}

fn customer_token() -> String {
    use command_api::auth::{AUDIENCE, Claims, DEV_SECRET, Keys, Role};
    Keys::from_secret(DEV_SECRET)
        .sign(&Claims {
            sub: uuid::Uuid::new_v4().to_string(),
            role: Role::Customer,
            aud: AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 3600,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_request_gets_a_clear_4xx_in_the_envelope_and_writes_nothing() {
    let side = WriteSide::start("hostile-input", 1, 1).await.unwrap();
    let product_id = side.create_product("hostile", &["HOST-1"]).await.unwrap();
    let (status, body) = side
        .post(
            0,
            "/inventory/HOST-1/receive",
            json!({ "quantity": 10 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let before = scan_log(&side.ns).await.unwrap();

    let cases = cases(&side, &product_id);
    let total = cases.len();
    let mut domain_refusals = 0;
    let mut mismatches = Vec::new();
    for case in cases {
        let commands_before = side.commands_end().unwrap();
        let response = match case.request.send().await {
            Ok(response) => response,
            // A body far over the limit is answered 413 as soon as the headers are read; the
            // server then closes the connection, and a client still writing sees the reset
            // instead of the answer. What must hold either way: the server lives on and
            // nothing reached the commands topic.
            Err(error) if case.status == 413 => {
                let health = side
                    .http
                    .get(format!("{}/healthz", side.api(0)))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{}: the API died after a reset: {e}", case.name));
                assert_eq!(health.status().as_u16(), 200, "{}: {error}", case.name);
                assert_eq!(
                    side.commands_end().unwrap(),
                    commands_before,
                    "{}",
                    case.name
                );
                eprintln!(
                    "{}: connection reset while sending ({error}); server alive",
                    case.name
                );
                continue;
            }
            Err(error) => panic!("{}: {error}", case.name),
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if (status, body["error"]["code"].as_str()) != (case.status, Some(case.code)) {
            mismatches.push(format!("{}: {status} {body}", case.name));
            continue;
        }
        assert_envelope(case.name, &content_type, &body, case.code);
        match case.origin {
            Origin::Api => assert_eq!(
                side.commands_end().unwrap(),
                commands_before,
                "{}: a refused request reached agora.commands",
                case.name
            ),
            Origin::Domain => domain_refusals += 1,
        }
    }

    assert!(
        mismatches.is_empty(),
        "unexpected answers:\n{}",
        mismatches.join("\n")
    );
    let after = scan_log(&side.ns).await.unwrap();
    assert_eq!(
        count(&after, true),
        count(&before, true),
        "a refused request left a commit in the events log"
    );
    assert_eq!(
        count(&after, false) - count(&before, false),
        domain_refusals,
        "every domain refusal is one Rejection record"
    );
    eprintln!("hostile_input: {total} cases, {domain_refusals} refused by the domain");
}
