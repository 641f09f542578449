//! The projector's `/metrics`: records applied and batch latency per projection, and every
//! projection's lag, which drops to zero once it caught up.

use std::time::Duration;

use runtime::testing::{TestNamespace, eventually};

use crate::{
    crash::Shop,
    support::{Log, free_port, pg, wait_caught_up},
};

/// The value of the series `name{labels}` in a Prometheus text page.
fn value(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_show_records_batches_and_lag_per_projection() {
    let ns = TestNamespace::create("projector-metrics").await.unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, mut records) = Shop::open(&mut log, 10);
    records.extend(shop.commits(&mut log, 300));
    log.send(records).await;
    let addr = format!("127.0.0.1:{}", free_port());
    let _projector = ns
        .spawn("agora-projector", &["run"], &[("AGORA_HEALTH_ADDR", &addr)])
        .unwrap();
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(120)).await;

    let url = format!("http://{addr}/metrics");
    let page = eventually(
        Duration::from_secs(30),
        "lag gauges at zero for every projection",
        || {
            let url = url.clone();
            async move {
                let page = reqwest::get(&url).await?.text().await?;
                let caught_up = ["catalog", "inventory", "stock_movements"].iter().all(|p| {
                    value(
                        &page,
                        &format!("agora_projection_lag_records{{projection=\"{p}\"}}"),
                    ) == Some(0.0)
                });
                Ok(caught_up.then_some(page))
            }
        },
    )
    .await
    .unwrap();
    let applied = value(
        &page,
        r#"agora_projection_records_total{projection="inventory"}"#,
    )
    .expect("records counted");
    assert!(applied >= 300.0, "{applied}");
    assert!(
        page.contains(r#"agora_projection_batch_duration_seconds_bucket{projection="catalog""#),
        "{page}"
    );
    assert!(
        value(
            &page,
            r#"agora_projection_lag_seconds{projection="catalog"}"#
        ) == Some(0.0),
        "{page}"
    );
}
