//! The OpenAPI document and `/docs` page: well formed, complete against the routes registered in
//! the source, consistent with the error envelope and the domain's codes, and snapshotted so
//! every change to the API surface is reviewed.
//!
//! Pure: no broker or database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (team rule)

use std::collections::{BTreeMap, BTreeSet};

use axum::{body::Body, http::Request};
use command_api::openapi::{codes, document, operations::OPERATIONS, page};
use serde_json::Value;
use tower::ServiceExt;

// The crate root is this file, so its modules are found by path.
#[path = "openapi/domain_codes.rs"]
mod domain_codes;
#[path = "openapi/route_scan.rs"]
mod route_scan;

fn document() -> Value {
    // Through text, as a client receives it.
    let text = serde_json::to_string(&document::build()).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every `(method, path, operation)` in the document.
fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    found
}

/// Every `$ref` string anywhere under `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target.clone()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

/// Follows a local `#/a/b/c` pointer.
fn resolve<'a>(document: &'a Value, target: &str) -> Option<&'a Value> {
    document.pointer(target.strip_prefix('#')?)
}

#[test]
fn the_document_is_openapi_3_0_json_with_info_servers_and_bearer_auth() {
    let document = document();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.0."),
        "{}",
        document["openapi"]
    );
    assert_eq!(document["info"]["title"], "Agora command API");
    assert!(!document["servers"].as_array().unwrap().is_empty());
    let bearer = &document["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    for header in ["IdempotencyKey", "ConsistencyToken"] {
        assert!(document["components"]["parameters"][header].is_object());
    }
}

#[test]
fn every_operation_has_a_summary_a_unique_id_and_a_tag() {
    let document = document();
    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&document) {
        let summary = operation["summary"].as_str().unwrap_or_default();
        assert!(!summary.trim().is_empty(), "{method} {path} has no summary");
        let id = operation["operationId"].as_str().unwrap().to_string();
        assert!(ids.insert(id.clone()), "operationId {id} is used twice");
        assert_eq!(
            operation["tags"].as_array().unwrap().len(),
            1,
            "{method} {path}"
        );
    }
    assert_eq!(ids.len(), OPERATIONS.len());
}

#[test]
fn every_request_body_refers_to_a_component_schema() {
    let document = document();
    let mut bodies = 0;
    for (method, path, operation) in operations(&document) {
        let Some(body) = operation.get("requestBody") else {
            continue;
        };
        bodies += 1;
        let target = body["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: the body is not a $ref"));
        assert!(target.starts_with("#/components/schemas/"), "{target}");
        let schema = resolve(&document, target)
            .unwrap_or_else(|| panic!("{method} {path}: {target} does not resolve"));
        assert!(schema.is_object(), "{target}");
    }
    let declared = OPERATIONS.iter().filter(|op| op.body.is_some()).count();
    assert_eq!(bodies, declared);
    assert!(bodies > 0);
}

#[test]
fn every_reference_in_the_document_resolves() {
    let document = document();
    let mut targets = Vec::new();
    refs(&document, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        assert!(
            resolve(&document, &target).is_some(),
            "{target} does not resolve"
        );
    }
}

#[test]
fn every_error_response_is_the_envelope_with_codes_of_its_own_status() {
    let document = document();
    let known: BTreeMap<&str, u16> = codes::ALL.iter().map(|c| (c.code, c.status)).collect();
    let mut checked = 0;
    for (method, path, operation) in operations(&document) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            // The readiness probe's 503 is its report (which check failed), read by load
            // balancers, not an error of the caller's request.
            if status.starts_with('2') || (path == "/readyz" && status == "503") {
                continue;
            }
            let schema = &response["content"]["application/json"]["schema"];
            assert_eq!(
                schema["allOf"][0]["$ref"], "#/components/schemas/ErrorEnvelope",
                "{method} {path} {status}"
            );
            let codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
                .as_array()
                .unwrap();
            assert!(!codes.is_empty(), "{method} {path} {status}");
            for code in codes {
                let code = code.as_str().unwrap();
                assert_eq!(
                    known.get(code).map(u16::to_string).as_deref(),
                    Some(status.as_str()),
                    "{method} {path}: `{code}` under {status}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn error_codes_are_unique_and_snake_case() {
    let mut seen = BTreeSet::new();
    for code in codes::ALL {
        assert!(seen.insert(code.code), "{} is declared twice", code.code);
        assert!(
            code.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{}",
            code.code
        );
        assert!((400..600).contains(&code.status), "{}", code.code);
    }
}

// ---- the page and the routes ----

#[test]
fn the_docs_page_is_self_contained_and_shows_every_operation() {
    let document = document::build();
    let html = page::render(&document);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(
            !html.contains(external),
            "the page loads something: {external}"
        );
    }
    for op in OPERATIONS {
        assert!(
            html.contains(&format!("<code>{}</code>", page::escape(op.path))),
            "{} is missing",
            op.path
        );
        for code in op.errors() {
            assert!(html.contains(code.code), "{} {}", op.path, code.code);
        }
    }
    // Every schema link lands on a schema shown on the page.
    let links: BTreeSet<&str> = html
        .split("href=\"#schema-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(links.contains("CreateProduct") && links.contains("NewVariant"));
    for name in links {
        assert!(html.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
}

#[test]
fn the_page_escapes_html() {
    assert_eq!(
        page::escape("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}

async fn get(path: &str) -> (u16, String, String) {
    let response = command_api::openapi::routes::<()>()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn the_document_and_the_page_are_served() {
    let (status, content_type, body) = get("/openapi.json").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), document());
    let (status, content_type, body) = get("/docs").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains("/auth/login"));
}

#[test]
fn the_document_matches_the_reviewed_snapshot() {
    let mut document = document();
    // The crate version changes on every release; the surface is what is reviewed.
    document["info"]["version"] = "[version]".into();
    insta::assert_json_snapshot!("openapi", document);
}
