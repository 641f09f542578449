//! Hostile GraphQL: alias, complexity, depth and directive bombs, fragment cycles, huge and
//! malformed documents, batch and introspection abuse (an alias flood of `__schema`, and
//! introspection when it is off), and customers reaching for other customers' data. Every case is answered with an error that carries a code (or a 4xx for a
//! request that is not GraphQL at all), never a 5xx, and the bombs never reach the database.

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{
    TestApp,
    commerce::{ALICE, ALICE_CART, ALICE_PAID, BOB, query_as, token},
    state_without_database,
};
use query_api::startup::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Posts raw `body` with `content_type`; returns the status and the body as JSON (or a string).
async fn post_raw(
    state: &AppState,
    content_type: &str,
    body: Vec<u8>,
) -> anyhow::Result<(StatusCode, Value)> {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))?;
    let response = router(state.clone()).oneshot(request).await?;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024).await?;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Ok((status, body))
}

async fn post_query(state: &AppState, query: &str) -> anyhow::Result<(StatusCode, Value)> {
    let body = json!({ "query": query }).to_string().into_bytes();
    post_raw(state, "application/json", body).await
}

/// The first error's `extensions.code`.
fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn query_bombs_are_refused_with_a_code_before_any_sql_runs() -> anyhow::Result<()> {
    let state = state_without_database()?;
    let aliases = |n: usize, field: &str| {
        let body: String = (0..n).map(|i| format!("a{i}: {field} ")).collect();
        format!("{{ {body} }}")
    };
    let deep_braces = |n: usize| format!("{}__typename{}", "{".repeat(n), "}".repeat(n));
    let cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let page = "products(first: 100) { edges { node { variants { sku } } } }";
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "alias_bomb_pages",
            aliases(50, page),
            &["QUERY_TOO_COMPLEX"],
        ),
        (
            "brace_bomb_30k",
            deep_braces(30_000), // 60 KB: under the body limit, so the parser meets it
            &["GRAPHQL_PARSE_FAILED"],
        ),
        (
            "fragment_cycle",
            cycle.to_string(),
            &["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"],
        ),
        (
            "unknown_operation_type",
            "subscription { nothing }".into(),
            &["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"],
        ),
        (
            "mutation_on_read_only_api",
            "mutation { deleteEverything }".into(),
            &["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"],
        ),
        (
            "two_anonymous_operations",
            "{ __typename } { __typename }".into(),
            &[
                "GRAPHQL_VALIDATION_FAILED",
                "BAD_USER_INPUT",
                "GRAPHQL_PARSE_FAILED",
            ],
        ),
        (
            "sql_in_argument",
            "{ product(slug: \"x' OR 1=1 --\") { name } } { __typename }".into(),
            &[
                "GRAPHQL_VALIDATION_FAILED",
                "BAD_USER_INPUT",
                "GRAPHQL_PARSE_FAILED",
            ],
        ),
        ("empty_document", String::new(), &["GRAPHQL_PARSE_FAILED"]),
        (
            "nul_in_string",
            "{ product(slug: \"\u{0}\") { name } } x".into(),
            &["GRAPHQL_PARSE_FAILED"],
        ),
    ];
    let total = cases.len();
    for (name, query, codes) in cases {
        let (status, body) = post_query(&state, &query).await?;
        assert!(!status.is_server_error(), "{name}: {status} {body}");
        assert!(codes.contains(&code(&body)), "{name}: {status} {body}");
        assert!(
            body.get("data").is_none_or(Value::is_null),
            "{name}: {body}"
        );
    }
    assert_eq!(state.store.statements(), 0, "a bomb reached the database");
    eprintln!("query-api hostile documents: {total} cases");
    Ok(())
}

/// About 200 aliases of `__schema`, each spreading one fragment: cheap in complexity points
/// (every field counts once), small on the wire, yet each alias walks the whole schema.
fn introspection_alias_bomb(aliases: usize) -> String {
    let body: String = (0..aliases)
        .map(|i| format!("i{i}: __schema {{ ...S }} "))
        .collect();
    format!(
        "{{ {body}}} fragment S on __Schema {{ types {{ name kind fields {{ name type {{ name kind }} }} }} }}"
    )
}

#[tokio::test]
async fn an_introspection_alias_bomb_is_refused_and_introspection_is_off_unless_enabled()
-> anyhow::Result<()> {
    // Introspection on (dev mode, tests): one full introspection is answered, a flood is not.
    let state = state_without_database()?;
    let bomb = introspection_alias_bomb(200);
    assert!(
        json!({ "query": bomb }).to_string().len() < query_api::startup::MAX_BODY_BYTES,
        "the bomb must fit in the body limit, or the 413 would be what refuses it"
    );
    let (status, body) = post_query(&state, &bomb).await?;
    assert!(!status.is_server_error(), "{status} {body}");
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("introspection")),
        "{body}"
    );
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    let (_, one) = post_query(&state, &introspection_alias_bomb(1)).await?;
    assert!(one["data"]["i0"]["types"].is_array(), "{one}");

    // Introspection off (the default without GraphiQL): refused with a code, `__typename` kept.
    let mut config = common::config_without_database();
    config.limits.introspection = false;
    let closed = AppState::new(&config)?;
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Product\") { name } }",
        "query { ...F } fragment F on Query { __schema { types { name } } }",
    ] {
        let (status, body) = post_query(&closed, query).await?;
        assert!(!status.is_server_error(), "{query}: {status} {body}");
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{query}: {body}");
        assert!(
            body.get("data").is_none_or(Value::is_null),
            "{query}: {body}"
        );
    }
    let (_, typename) = post_query(&closed, "{ __typename }").await?;
    assert_eq!(typename["data"]["__typename"], "Query", "{typename}");
    assert_eq!(state.store.statements() + closed.store.statements(), 0);
    Ok(())
}

#[tokio::test]
async fn malformed_requests_are_client_errors_and_huge_ones_are_refused() -> anyhow::Result<()> {
    let state = state_without_database()?;
    let batch: Vec<Value> = (0..1000)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let deep_variables = format!(
        r#"{{"query": "query($s: String) {{ __typename }}", "variables": {{"s": {}1{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "batch_of_1000",
            "application/json",
            serde_json::to_vec(&batch)?,
        ),
        (
            "invalid_utf8",
            "application/json",
            b"{\"query\": \"{ \xff\xfe }\"}".to_vec(),
        ),
        (
            "not_json",
            "application/json",
            b"query { __typename }".to_vec(),
        ),
        (
            "json_string",
            "application/json",
            b"\"{ __typename }\"".to_vec(),
        ),
        (
            "query_not_a_string",
            "application/json",
            br#"{"query": 42}"#.to_vec(),
        ),
        (
            "variables_not_an_object",
            "application/json",
            br#"{"query": "{ __typename }", "variables": [1]}"#.to_vec(),
        ),
        (
            "deep_variables",
            "application/json",
            deep_variables.into_bytes(),
        ),
        ("xml", "application/xml", b"<query/>".to_vec()),
        (
            "body_of_32_mib",
            "application/json",
            json!({ "query": format!("{{ __typename {} }}", " ".repeat(32 << 20)) })
                .to_string()
                .into_bytes(),
        ),
        (
            "five_thousand_directives_on_one_field",
            "application/json",
            json!({ "query": format!("{{ __typename {} }}", "@include(if: true) ".repeat(5000)) })
                .to_string()
                .into_bytes(),
        ),
    ];
    let total = cases.len();
    for (name, content_type, body) in cases {
        let (status, body) = post_raw(&state, content_type, body).await?;
        let refused = status.is_client_error()
            || (status == StatusCode::OK && !code(&body).is_empty() && body["data"].is_null());
        assert!(refused, "{name}: {status} {body}");
    }
    assert_eq!(state.store.statements(), 0);
    eprintln!("query-api malformed requests: {total} cases");
    Ok(())
}

#[tokio::test]
async fn a_customer_reaches_no_other_customers_order_payment_cart_or_addresses()
-> anyhow::Result<()> {
    let app = TestApp::seeded("hostile_isolation").await?;
    common::commerce::seed(&app.pool).await?;
    let bob = token(BOB, "customer")?;
    let order = "query($id: ID!) { order(id: $id) { id total { formatted } \
                 payment { id status } shippingAddress { line1 } customer { email } } }";
    let response = query_as(&app, &bob, order, json!({ "id": ALICE_PAID })).await?;
    assert_eq!(code(&response), "NOT_FOUND", "{response}");
    assert!(response["data"]["order"].is_null(), "{response}");

    let cart = "query($t: ID!) { cart(token: $t) { id lines { sku } } }";
    let response = query_as(&app, &bob, cart, json!({ "t": ALICE_CART })).await?;
    assert!(response["data"]["cart"].is_null(), "{response}");
    assert!(!code(&response).is_empty(), "{response}");

    let admin = "query($id: ID!) { admin { customer(id: $id) { email addresses { line1 } } } }";
    let response = query_as(&app, &bob, admin, json!({ "id": ALICE })).await?;
    assert_eq!(code(&response), "FORBIDDEN", "{response}");
    assert!(response["data"].is_null() || response["data"]["admin"].is_null());

    // Bob's own profile holds his data only.
    let me = query_as(
        &app,
        &bob,
        "{ me { id email addresses { recipient } } }",
        json!({}),
    )
    .await?;
    assert_eq!(me["data"]["me"]["id"], BOB.to_string(), "{me}");
    assert!(!me.to_string().contains("alice"), "{me}");
    Ok(())
}
