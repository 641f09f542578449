//! `/metrics` of the command API and the processor: requests by route template and status,
//! commands by type and outcome, batch and hydration histograms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use runtime::testing::eventually;
use serde_json::json;
use support::{WriteSide, free_port};

/// The value of the series `series` (name and labels, exactly) in a Prometheus text page.
fn value(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_commands_are_counted_by_route_type_and_outcome() {
    let mut side = WriteSide::start("metrics", 0, 1).await.unwrap();
    let health = format!("127.0.0.1:{}", free_port().unwrap());
    side.start_processor_with(&[("AGORA_HEALTH_ADDR", &health)])
        .unwrap();
    side.create_product("metrics-mug", &["MET-MUG"])
        .await
        .unwrap();
    let (status, body) = side
        .post(
            0,
            "/inventory/MET-MUG/receive",
            json!({ "quantity": 3 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = side
        .post(
            0,
            "/inventory/MET-MUG/adjust",
            json!({ "delta": -10, "reason": "breakage" }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 409, "{body}");
    let code = body["error"]["code"].as_str().unwrap().to_string();

    let api_page = side
        .http
        .get(format!("{}/metrics", side.api(0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        value(
            &api_page,
            r#"agora_http_requests_total{route="/inventory/{sku}/receive",method="POST",status="200"}"#
        ),
        Some(1.0),
        "{api_page}"
    );
    assert_eq!(
        value(
            &api_page,
            r#"agora_http_requests_total{route="/inventory/{sku}/adjust",method="POST",status="409"}"#
        ),
        Some(1.0),
        "{api_page}"
    );

    let url = format!("http://{health}/metrics");
    let http = side.http.clone();
    let page = eventually(Duration::from_secs(20), "processor metrics", || {
        let request = http.get(&url).send();
        async move {
            let page = request.await?.text().await?;
            Ok(page
                .contains("agora_processor_batch_duration_seconds_bucket")
                .then_some(page))
        }
    })
    .await
    .unwrap();
    assert_eq!(
        value(
            &page,
            r#"agora_commands_total{command="ReceiveStock",outcome="accepted",code=""}"#
        ),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        value(
            &page,
            &format!(
                r#"agora_commands_total{{command="AdjustStock",outcome="rejected",code="{code}"}}"#
            )
        ),
        Some(1.0),
        "{page}"
    );
    assert!(
        page.contains("agora_processor_hydration_seconds_bucket"),
        "{page}"
    );
    assert_eq!(
        value(&page, "agora_processor_partitions_owned"),
        Some(4.0),
        "{page}"
    );
}
