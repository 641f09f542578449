//! Observability of the running services: one trace from an HTTP request through the processor
//! to a projection (received by a real OTLP/HTTP collector), JSON log lines that carry a
//! command's correlation and causation ids, and librdkafka statistics on `/metrics`.
//! `/readyz` reports are in `tests/readiness.rs`.
//!
//! The services run as child processes built by `cargo build --workspace --bins`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router, body::Bytes, extract::State, http::header::CONTENT_TYPE, response::IntoResponse,
    routing::post,
};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::any_value::Value as AnyValue,
};
use prost::Message;
use runtime::testing::{TestNamespace, binary_path, eventually};
use serde_json::{Value, json};
use support::{
    free_port, mint_token,
    processes::{get_json, spawn},
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

/// One span as the collector received it.
#[derive(Debug, Clone)]
struct ReceivedSpan {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
}

type Received = Arc<Mutex<Vec<ReceivedSpan>>>;

/// A minimal OTLP/HTTP collector: accepts `POST /v1/traces` (protobuf) and keeps the spans.
async fn collector() -> (String, Received) {
    let received = Received::default();
    let app = Router::new()
        .route("/v1/traces", post(receive))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

async fn receive(State(received): State<Received>, body: Bytes) -> impl IntoResponse {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf request");
    let mut spans = received.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| resource.attributes.iter())
            .find(|attribute| attribute.key == "service.name")
            .and_then(|attribute| attribute.value.as_ref()?.value.as_ref())
            .and_then(|value| match value {
                AnyValue::StringValue(name) => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                spans.push(ReceivedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                });
            }
        }
    }
    (
        [(CONTENT_TYPE, "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Waits until `url` answers 2xx.
async fn wait_until_up(http: &reqwest::Client, url: &str) {
    eventually(Duration::from_secs(60), url, || {
        let request = http.get(url).send();
        async move { Ok(request.await.ok().filter(|r| r.status().is_success())) }
    })
    .await
    .unwrap();
}

fn product(slug: &str, sku: &str) -> Value {
    json!({ "name": format!("Product {slug}"), "slug": slug, "category": "tests", "brand": "Agora",
            "variants": [{ "sku": sku, "name": sku, "price": { "amount_minor": 900, "currency": "EUR" } }] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_is_one_trace_from_http_through_the_processor_to_a_projection() {
    let ns = TestNamespace::create("otel").await.unwrap();
    let token = mint_token(&ns).unwrap();
    let (endpoint, received) = collector().await;
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let api_addr = format!("127.0.0.1:{}", free_port().unwrap());
    let projector_health = format!("127.0.0.1:{}", free_port().unwrap());
    let mut api_env = vec![
        ("AGORA_COMMAND_ADDR", api_addr.as_str()),
        ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
    ];
    api_env.extend(otel);
    let mut processor_env = vec![("AGORA_HEALTH_ADDR", "127.0.0.1:0")];
    processor_env.extend(otel);
    let mut projector_env = vec![("AGORA_HEALTH_ADDR", projector_health.as_str())];
    projector_env.extend(otel);
    let _api = spawn(&ns, "agora-command-api", &["serve"], &api_env);
    let _processor = spawn(&ns, "agora-processor", &[], &processor_env);
    let _projector = spawn(&ns, "agora-projector", &["run"], &projector_env);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let api = format!("http://{api_addr}");
    wait_until_up(&http, &format!("{api}/healthz")).await;

    // The caller's own trace: every hop must continue it.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let response = http
        .post(format!("{api}/products"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&product("traced-mug", "TRACED-MUG"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{:?}",
        response.text().await
    );

    let spans = eventually(
        Duration::from_secs(60),
        "spans of all three services",
        || {
            let spans: Vec<ReceivedSpan> = received
                .lock()
                .unwrap()
                .iter()
                .filter(|span| span.trace_id == trace_id)
                .cloned()
                .collect();
            let has = |service: &str, name: &str| {
                spans
                    .iter()
                    .any(|span| span.service == service && span.name == name)
            };
            let complete = has("command-api", "request")
                && has("processor", "command")
                && has("agora-projector", "projector.record");
            async move { Ok(complete.then_some(spans)) }
        },
    )
    .await
    .unwrap();
    let request = spans
        .iter()
        .find(|span| span.service == "command-api" && span.name == "request")
        .unwrap();
    assert_eq!(request.parent_span_id, caller_span, "{spans:#?}");
    let command = spans
        .iter()
        .find(|span| span.service == "processor" && span.name == "command")
        .unwrap();
    assert_eq!(command.parent_span_id, request.span_id, "{spans:#?}");
    assert!(
        spans
            .iter()
            .any(|span| span.name == "projector.record" && span.parent_span_id == command.span_id),
        "no projection record span under the command span: {spans:#?}"
    );

    // The projector is ready once its stores answer and it has caught up.
    let url = format!("http://{projector_health}/readyz");
    let (status, body) = eventually(Duration::from_secs(60), "projector ready", || {
        let request = get_json(&http, &url);
        async move { Ok(request.await.ok().filter(|(status, _)| *status == 200)) }
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    for check in ["postgres", "clickhouse", "lag", "worker"] {
        assert_eq!(body["checks"][check], "ok", "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_about_a_command_carry_its_correlation_and_causation_ids() {
    let ns = TestNamespace::create("jsonlog").await.unwrap();
    let token = mint_token(&ns).unwrap();
    let api_addr = format!("127.0.0.1:{}", free_port().unwrap());
    let _api = spawn(
        &ns,
        "agora-command-api",
        &["serve"],
        &[
            ("AGORA_COMMAND_ADDR", &api_addr),
            ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
        ],
    );
    let mut processor = Command::new(binary_path("agora-processor"))
        .envs(ns.env())
        .env("AGORA_HEALTH_ADDR", "127.0.0.1:0")
        .env("AGORA_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn,command_api::processor=debug")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(processor.stderr.take().unwrap()).lines();
    let http = reqwest::Client::new();
    let api = format!("http://{api_addr}");
    wait_until_up(&http, &format!("{api}/healthz")).await;
    let response = http
        .post(format!("{api}/products"))
        .bearer_auth(&token)
        .json(&product("logged-mug", "LOGGED-MUG"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    let line = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(parsed) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if parsed["fields"]["message"] == "command decided"
                && parsed["span"]["command.type"] == "CreateProduct"
            {
                return parsed;
            }
        }
        panic!("the processor's log ended without a decided CreateProduct");
    })
    .await
    .expect("a JSON line about the decided command");
    let span = &line["span"];
    for field in ["correlation_id", "causation_id", "command.id"] {
        let id = span[field].as_str().unwrap_or_default();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{field} in {line}");
    }
    assert!(
        span["stream"]
            .as_str()
            .is_some_and(|s| s.starts_with("product-")),
        "{line}"
    );
    assert_eq!(line["fields"]["outcome"], "accepted", "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processor_metrics_show_the_kafka_client_statistics() {
    let ns = TestNamespace::create("kstats").await.unwrap();
    let health = format!("127.0.0.1:{}", free_port().unwrap());
    let _processor = spawn(
        &ns,
        "agora-processor",
        &[],
        &[
            ("AGORA_HEALTH_ADDR", &health),
            ("AGORA_KAFKA_STATS_INTERVAL_MS", "500"),
        ],
    );
    let http = reqwest::Client::new();
    let url = format!("http://{health}/metrics");
    let wanted = [
        "agora_kafka_client_queue_messages{",
        "agora_kafka_client_queue_bytes{",
        "agora_kafka_consumer_lag{",
        "agora_kafka_broker_rtt_seconds{",
        "agora_kafka_broker_tx_errors_total{",
        "agora_kafka_broker_rx_errors_total{",
    ];
    let page = eventually(Duration::from_secs(60), "kafka statistics", || {
        let request = http.get(&url).send();
        async move {
            let Ok(response) = request.await else {
                return Ok(None);
            };
            let page = response.text().await?;
            Ok(wanted
                .iter()
                .all(|name| page.contains(name))
                .then_some(page))
        }
    })
    .await
    .unwrap();
    assert!(page.contains(r#"type="producer""#), "{page}");
    let commands_topic = ns.kafka.topics().commands;
    assert!(
        page.lines()
            .any(|line| line.starts_with("agora_kafka_consumer_lag{")
                && line.contains(&format!(r#"topic="{commands_topic}""#))),
        "no lag of the commands topic: {page}"
    );
}
