//! `flash-sale`: N buyers for U units of one SKU. Every buyer's cart is filled first (not
//! timed); then all of them check out at once (without waiting for the verdict) and the clock
//! runs until the read model shows every placed order confirmed or rejected. Oversold is what
//! was confirmed beyond the units, or reserved beyond what is on hand; it must be 0.

use std::{collections::BTreeMap, sync::Arc};

use anyhow::Context;
use futures::{StreamExt, stream};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

use super::{Bench, poll};
use crate::{
    client::{Api, address, shopper},
    shop,
};

/// A buyer with a full cart.
struct Buyer {
    token: String,
    consistency: String,
}

async fn fill_cart(api: &Api, sku: &str) -> anyhow::Result<Buyer> {
    let (_, token) = shopper()?;
    let consistency = api.cart_with_line(&token, sku, 1).await?;
    Ok(Buyer { token, consistency })
}

/// Order counts by status for orders of `sku`.
async fn statuses(bench: &Bench, sku: &str) -> anyhow::Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT o.status, count(*) FROM orders o JOIN order_lines l USING (order_id) \
         WHERE l.sku = $1 GROUP BY o.status",
    )
    .bind(sku)
    .fetch_all(&bench.db)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Runs the sale.
pub async fn run(bench: &Bench) -> anyhow::Result<Value> {
    let sizes = &bench.options.sizes;
    let units = sizes.flash_units;
    let catalog = shop::open(&bench.api, &bench.db, "FLASH", 1, 1, units).await?;
    let sku = catalog.skus().into_iter().next().context("no flash SKU")?;

    eprintln!("flash-sale: filling {} carts", sizes.flash_buyers);
    let concurrency = sizes.clients * 2;
    let buyers: Vec<Buyer> = stream::iter(0..sizes.flash_buyers)
        .map(|_| fill_cart(&bench.api, &sku))
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    eprintln!("flash-sale: {} buyers check out", buyers.len());
    let api = Arc::new(bench.api.clone());
    let started = Instant::now();
    let answers: Vec<u16> = stream::iter(buyers.iter())
        .map(|buyer| {
            let api = api.clone();
            async move {
                api.call(
                    reqwest::Method::POST,
                    "/checkout",
                    &json!({ "shipping_address": address(), "wait": false }),
                    &buyer.token,
                    &[("x-consistency-token", buyer.consistency.as_str())],
                )
                .await
                .map(|answer| answer.status)
                .unwrap_or(0)
            }
        })
        .buffer_unordered(concurrency * 4)
        .collect()
        .await;
    let checkout_seconds = started.elapsed().as_secs_f64();
    let placed = answers.iter().filter(|s| **s == 200).count() as i64;
    let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
    for status in &answers {
        *by_status.entry(*status).or_default() += 1;
    }

    let settled = poll(
        Duration::from_secs(600),
        Duration::from_millis(25),
        || async {
            let counts = statuses(bench, &sku).await.ok()?;
            let total: i64 = counts.values().sum();
            let undecided = counts.get("placed").copied().unwrap_or(0);
            (total >= placed && undecided == 0).then(|| (started.elapsed().as_secs_f64(), counts))
        },
    )
    .await;
    let (settle_seconds, counts) = settled.context("the flash sale did not settle in 600 s")?;
    let confirmed = counts.get("confirmed").copied().unwrap_or(0);
    let rejected = counts.get("rejected").copied().unwrap_or(0);
    let (on_hand, reserved): (i64, i64) =
        sqlx::query_as("SELECT on_hand, reserved FROM inventory_items WHERE sku = $1")
            .bind(&sku)
            .fetch_one(&bench.db)
            .await?;
    let oversold = (confirmed - i64::from(units))
        .max(0)
        .max(reserved - on_hand);
    Ok(json!({
        "buyers": sizes.flash_buyers,
        "units": units,
        "checkout_seconds": checkout_seconds,
        "settle_seconds": settle_seconds,
        "answers": by_status,
        "orders_placed": placed,
        "confirmed": confirmed,
        "rejected": rejected,
        "on_hand": on_hand,
        "reserved": reserved,
        "oversold": oversold,
    }))
}
