//! `commands`: stock adjustments (+1 on hand) spread over 10,000 SKUs through command-api, as
//! staff. Each request returns once the processor has committed the event and replied, so the
//! rate is end-to-end commands/s: HTTP, command topic, processor decision and append, reply.

use serde_json::{Value, json};

use super::{Bench, with};
use crate::load::op;

/// SKU prefix of this scenario.
const PREFIX: &str = "STOCK";

/// Runs the closed loop, then the open loop at half its rate.
pub async fn run(bench: &Bench) -> anyhow::Result<Value> {
    let skus = bench.options.sizes.skus;
    crate::shop::register_skus(&bench.api, PREFIX, skus).await?;
    let api = bench.api.clone();
    let adjust = op(move |i| {
        let api = api.clone();
        async move {
            let sku = format!("{PREFIX}-{:05}", i % skus);
            api.staff(
                &format!("/inventory/{sku}/adjust"),
                json!({ "delta": 1, "reason": "benchmark count" }),
            )
            .await?;
            Ok(())
        }
    });
    let (closed, open) = bench
        .closed_then_half_with(bench.options.sizes.command_clients, adjust)
        .await;
    anyhow::ensure!(closed.ok > 0, "no stock adjustment succeeded");
    Ok(json!({
        "skus": skus,
        "closed": with(&closed, json!({})),
        "open": with(&open, json!({})),
    }))
}
