//! `projection`: how fast the projector writes events into the Postgres read models and into
//! ClickHouse, and how fresh the read side is under a steady write rate.
//!
//! - **Throughput**: the projector is stopped, a backlog of B stock adjustments (+1 each, on
//!   their own SKUs) is committed through command-api, and a new projector process is started;
//!   the clock runs from its spawn until the `inventory_items` read model holds all B units and
//!   until ClickHouse's `stock_movements` holds all B facts (so start-up counts against it).
//! - **Freshness**: stock adjustments at a fixed rate (1,000 events/s in the full run) while a
//!   probe adjusts one SKU of its own every 100 ms and polls GraphQL `inventory(sku)` every 2 ms
//!   until the new figure shows. Freshness runs from the command's reply (the event is committed
//!   before the reply is sent) to the first GraphQL answer that shows it; the same figure from
//!   the command's send is reported beside it.

use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Bench, poll, with};
use crate::{
    load::{Recorder, closed, op, open},
    namespace::clickhouse_statement,
};

const BACKLOG_PREFIX: &str = "PROJ";
const FRESH_PREFIX: &str = "FRESH";
const PROBE_SKU: &str = "PROBE";

/// Runs both measurements.
pub async fn run(bench: &mut Bench) -> anyhow::Result<Value> {
    let throughput = throughput(bench).await?;
    let freshness = freshness(bench).await?;
    Ok(json!({ "throughput": throughput, "freshness": freshness }))
}

async fn throughput(bench: &mut Bench) -> anyhow::Result<Value> {
    let backlog = bench.options.sizes.projection_backlog;
    let skus = bench.options.sizes.skus;
    crate::shop::register_skus(&bench.api, BACKLOG_PREFIX, skus).await?;
    bench.platform.stop("projector");
    eprintln!("projection: committing a backlog of {backlog} events with the projector stopped");
    let api = bench.api.clone();
    let written = closed::each(
        backlog,
        bench.options.sizes.clients,
        op(move |i| {
            let api = api.clone();
            async move {
                let sku = format!("{BACKLOG_PREFIX}-{:05}", i % skus);
                let answer = api
                    .post(
                        &api.admin,
                        &format!("/inventory/{sku}/adjust"),
                        json!({ "delta": 1, "reason": "projection backlog" }),
                    )
                    .await?;
                // 202: queued but not answered in time; it is committed later all the same,
                // and the catch-up below waits for every unit.
                anyhow::ensure!(
                    matches!(answer.status, 200 | 202),
                    "backlog adjust {sku}: {} {}",
                    answer.status,
                    answer.body
                );
                Ok(())
            }
        }),
    )
    .await;
    // The projector comes back whatever happened: the scenarios after this one need it.
    let spawned = Instant::now();
    bench
        .platform
        .restart("projector", &bench.launcher, &bench.http)
        .await?;
    let healthy_seconds = spawned.elapsed().as_secs_f64();
    let written = written?;
    let pattern = format!("{BACKLOG_PREFIX}-%");
    let (db, ch_url) = (bench.db.clone(), bench.namespace.clickhouse_url.clone());
    let count_query = format!(
        "SELECT count() FROM {}.stock_movements WHERE sku LIKE '{pattern}'",
        bench.namespace.name()
    );
    let mut postgres_seconds = None;
    let mut clickhouse_seconds = None;
    let deadline = spawned + Duration::from_secs(600);
    while postgres_seconds.is_none() || clickhouse_seconds.is_none() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the projector did not catch up on the backlog in 600 s"
        );
        if postgres_seconds.is_none() {
            let units: i64 = sqlx::query_scalar(
                "SELECT coalesce(sum(on_hand), 0)::bigint FROM inventory_items WHERE sku LIKE $1",
            )
            .bind(&pattern)
            .fetch_one(&db)
            .await
            .unwrap_or(0);
            if units as u64 >= backlog {
                postgres_seconds = Some(spawned.elapsed().as_secs_f64());
            }
        }
        if clickhouse_seconds.is_none() {
            let facts: u64 = clickhouse_statement(&ch_url, &count_query)
                .await
                .ok()
                .and_then(|body| body.trim().parse().ok())
                .unwrap_or(0);
            if facts >= backlog {
                clickhouse_seconds = Some(spawned.elapsed().as_secs_f64());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let postgres_seconds = postgres_seconds.unwrap_or(f64::NAN);
    let clickhouse_seconds = clickhouse_seconds.unwrap_or(f64::NAN);
    Ok(json!({
        "backlog_events": backlog,
        "backlog_write_seconds": written.as_secs_f64(),
        "projector_healthy_seconds": healthy_seconds,
        "postgres_seconds": postgres_seconds,
        "clickhouse_seconds": clickhouse_seconds,
        "postgres_events_per_second": backlog as f64 / postgres_seconds,
        "clickhouse_events_per_second": backlog as f64 / clickhouse_seconds,
    }))
}

/// On-hand units of the probe SKU as GraphQL shows them.
async fn probe_on_hand(bench: &Bench) -> anyhow::Result<i64> {
    let body = bench
        .api
        .graphql(
            "query Probe($sku: String!) { inventory(sku: $sku) { onHand } }",
            json!({ "sku": format!("{PROBE_SKU}-00000") }),
            None,
        )
        .await?;
    body["data"]["inventory"]["onHand"]
        .as_i64()
        .context("no onHand")
}

async fn freshness(bench: &Bench) -> anyhow::Result<Value> {
    let sizes = &bench.options.sizes;
    let receive = format!("/inventory/{PROBE_SKU}-00000/receive");
    crate::shop::register_skus(&bench.api, PROBE_SKU, 1).await?;
    crate::shop::register_skus(&bench.api, FRESH_PREFIX, sizes.skus).await?;
    bench.api.staff(&receive, json!({ "quantity": 1 })).await?;
    let mut expected = poll(
        Duration::from_secs(60),
        Duration::from_millis(20),
        || async { probe_on_hand(bench).await.ok() },
    )
    .await
    .context("the probe SKU never became visible")?;

    let skus = sizes.skus;
    let api = bench.api.clone();
    let load = op(move |i| {
        let api = api.clone();
        async move {
            let sku = format!("{FRESH_PREFIX}-{:05}", i % skus);
            api.staff(
                &format!("/inventory/{sku}/adjust"),
                json!({ "delta": 1, "reason": "freshness load" }),
            )
            .await?;
            Ok(())
        }
    });
    let background = open::run(
        sizes.freshness_rate,
        sizes.phase,
        bench.max_in_flight(),
        load,
    );
    let from_reply = Recorder::new();
    let from_send = Recorder::new();
    let probes = async {
        let ends = Instant::now() + sizes.phase;
        while Instant::now() < ends {
            let next = Instant::now() + Duration::from_millis(100);
            let sent = Instant::now();
            bench.api.staff(&receive, json!({ "quantity": 1 })).await?;
            let replied = Instant::now();
            expected += 1;
            let want = expected;
            let seen = poll(
                Duration::from_secs(30),
                Duration::from_millis(2),
                || async move { probe_on_hand(bench).await.ok().filter(|n| *n >= want) },
            )
            .await;
            anyhow::ensure!(seen.is_some(), "a probe was not visible within 30 s");
            from_reply.record(replied.elapsed());
            from_send.record(sent.elapsed());
            tokio::time::sleep_until(next).await;
        }
        anyhow::Ok(())
    };
    let (load, probed) = tokio::join!(background, probes);
    probed?;
    Ok(json!({
        "target_events_per_second": sizes.freshness_rate,
        "load": with(&load, json!({})),
        "probes": from_reply.count(),
        "latency": from_reply.latency(),
        "latency_from_send": from_send.latency(),
    }))
}
