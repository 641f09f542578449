//! `checkout`: the whole purchase of a new customer, as the storefront does it: register
//! (`POST /auth/register`), open the cart, add a line, check out waiting for the saga's verdict
//! (stock reserved, order **confirmed**), then pay with the test card waiting for the capture
//! (order **paid**). Throughput is confirmed orders per second; latencies are measured from
//! the checkout request to confirmation and to the captured payment.

use std::sync::Arc;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

use super::{Bench, with};
use crate::{
    client::{Api, GOOD_CARD, address},
    load::{Recorder, closed, op, open},
};

/// Latencies of one loop's journeys.
#[derive(Clone, Default)]
struct Steps {
    to_confirmed: Recorder,
    to_paid: Recorder,
}

async fn journey(api: &Api, sku: &str, steps: &Steps) -> anyhow::Result<()> {
    let email = format!("bench-{}@example.com", Uuid::new_v4().simple());
    let registered = api
        .http
        .post(format!("{}/auth/register", api.command))
        .json(
            &json!({ "email": email, "password": "correct horse battery staple",
                       "display_name": "Bench Buyer" }),
        )
        .send()
        .await?;
    anyhow::ensure!(
        registered.status().is_success(),
        "register: {}",
        registered.status()
    );
    let registered: Value = registered.json().await?;
    let token = registered["access_token"]
        .as_str()
        .context("no access_token")?
        .to_string();
    let consistency = api.cart_with_line(&token, sku, 1).await?;
    let started = Instant::now();
    let placed = api
        .call(
            reqwest::Method::POST,
            "/checkout",
            &json!({ "shipping_address": address(), "wait": true }),
            &token,
            &[("x-consistency-token", consistency.as_str())],
        )
        .await?
        .ok("checkout")?;
    anyhow::ensure!(
        placed["status"] == "confirmed",
        "checkout ended {}",
        placed["status"]
    );
    steps.to_confirmed.record(started.elapsed());
    let order_id = placed["order_id"].as_str().context("no order_id")?;
    let paid = api
        .post(
            &token,
            &format!("/orders/{order_id}/payments"),
            json!({ "instrument_token": GOOD_CARD, "wait": true }),
        )
        .await?
        .ok("pay")?;
    anyhow::ensure!(
        paid["payment_status"] == "captured",
        "payment {}",
        paid["payment_status"]
    );
    steps.to_paid.record(started.elapsed());
    Ok(())
}

/// Runs the closed loop, then the open loop at half its rate.
pub async fn run(bench: &Bench) -> anyhow::Result<Value> {
    let skus = Arc::new(bench.catalog.skus());
    anyhow::ensure!(!skus.is_empty(), "the catalog is empty");
    let make = |steps: Steps| {
        let (api, skus) = (bench.api.clone(), skus.clone());
        op(move |i| {
            let (api, skus, steps) = (api.clone(), skus.clone(), steps.clone());
            async move { journey(&api, &skus[i as usize % skus.len()], &steps).await }
        })
    };
    let sizes = &bench.options.sizes;
    let closed_steps = Steps::default();
    let closed = closed::run(sizes.clients, sizes.phase, make(closed_steps.clone())).await;
    anyhow::ensure!(closed.ok > 0, "no checkout reached payment");
    let open_steps = Steps::default();
    let open = open::run(
        (closed.per_second / 2.0).max(1.0),
        sizes.phase,
        bench.max_in_flight(),
        make(open_steps.clone()),
    )
    .await;
    let figures = |steps: &Steps| {
        json!({
            "orders_confirmed": steps.to_confirmed.count(),
            "orders_paid": steps.to_paid.count(),
            "to_confirmed": steps.to_confirmed.latency(),
            "to_paid": steps.to_paid.latency(),
        })
    };
    Ok(json!({
        "closed": with(&closed, figures(&closed_steps)),
        "open": with(&open, figures(&open_steps)),
    }))
}
