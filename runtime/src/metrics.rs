//! Prometheus metrics: one process-wide recorder, the `/metrics` route, and the HTTP
//! middleware every service puts in front of its routes.
//!
//! Code records through the `metrics` facade (`metrics::counter!`, `histogram!`, `gauge!`);
//! names and labels are the contract in `docs/METRICS.md`, which the dashboards follow.
//! Durations are in seconds and rendered as real Prometheus histograms (buckets below), so
//! percentiles can be aggregated across replicas.

use std::{sync::OnceLock, time::Instant};

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets (seconds): fine below 100 ms, where the targets are, coarse above.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Size buckets (items per batch).
const SIZE_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once per process; later calls return the same handle. `None` when
/// another recorder was installed first (metrics then go there, and `/metrics` says so).
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("_size".into()), SIZE_BUCKETS)
                });
            match builder.and_then(|b| b.install_recorder()) {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::warn!(error = %error, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// `GET /metrics` in the Prometheus text format, mergeable into a router of any state.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let handle = install();
    Router::new().route(
        "/metrics",
        get(move || {
            let body = handle.as_ref().map_or_else(
                || "# metrics recorder unavailable\n".to_string(),
                PrometheusHandle::render,
            );
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    body,
                )
                    .into_response()
            }
        }),
    )
}

/// Middleware: counts every request and records its latency by route template, method and
/// status. The template (`/orders/{id}`), not the path, keeps the label set bounded.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("agora_http_requests_total", &labels).increment(1);
    metrics::histogram!("agora_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, middleware};
    use tower::ServiceExt;

    #[tokio::test]
    async fn requests_are_counted_by_route_template_and_rendered() {
        install();
        let app = Router::new()
            .route("/orders/{id}", get(|| async { "ok" }))
            .layer(middleware::from_fn(track_http))
            .merge(router());
        let response = app
            .clone()
            .oneshot(Request::get("/orders/42").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let response = app
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains(
                r#"agora_http_requests_total{route="/orders/{id}",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains("agora_http_request_duration_seconds_bucket"),
            "{text}"
        );
    }
}
