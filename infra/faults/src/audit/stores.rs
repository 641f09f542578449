//! The stores against each other: every read model against a build from offset 0 (the replay
//! CLI), the Postgres orders and inventory against the folded log, and ClickHouse totals against
//! Postgres totals.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Violations, model::Model};
use crate::deployment::Deployment;

/// Units of `agora-projector verify` (docs/REPLAY.md).
const UNITS: &[&str] = &["catalog", "inventory", "carts", "coupons", "orders"];

/// Runs `rebuild-check` (full contents, Postgres and ClickHouse) and `verify` for every unit.
pub fn read_models_equal_rebuild(
    deployment: &Deployment,
    v: &mut Violations,
) -> anyhow::Result<()> {
    let (ok, output) = deployment.projector_tool(&["rebuild-check"])?;
    if !ok {
        v.add(
            "read_models_equal_rebuild",
            format!("rebuild-check: {}", last_lines(&output, 20)),
        );
    }
    for unit in UNITS {
        let (ok, output) = deployment.projector_tool(&["verify", unit])?;
        if !ok {
            v.add(
                "read_models_equal_rebuild",
                format!("verify {unit}: {}", last_lines(&output, 12)),
            );
        }
    }
    Ok(())
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// The orders and inventory read models against the folded log.
pub async fn postgres_matches_log(
    pool: &PgPool,
    model: &Model,
    v: &mut Violations,
) -> anyhow::Result<()> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as("SELECT order_id, status FROM orders")
        .fetch_all(pool)
        .await?;
    if rows.len() != model.orders.len() {
        v.add(
            "postgres_matches_log",
            format!(
                "{} orders in Postgres, {} in the log",
                rows.len(),
                model.orders.len()
            ),
        );
    }
    for (order_id, status) in rows {
        let logged = model
            .orders
            .get(&order_id)
            .map(|t| format!("{:?}", t.order.status()).to_lowercase());
        if logged.as_deref() != Some(status.as_str()) {
            v.add(
                "postgres_matches_log",
                format!("order-{order_id}: Postgres {status}, log {logged:?}"),
            );
        }
    }
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT sku, on_hand, reserved FROM inventory_items")
            .fetch_all(pool)
            .await?;
    for (sku, on_hand, reserved) in rows {
        let logged = model
            .stock
            .get(&sku)
            .map(|s| (s.item.on_hand() as i64, s.item.reserved() as i64));
        if logged != Some((on_hand, reserved)) {
            v.add(
                "postgres_matches_log",
                format!("{sku}: Postgres {on_hand}/{reserved}, log {logged:?}"),
            );
        }
    }
    Ok(())
}

/// One ClickHouse figure and the Postgres figure it must equal.
const TOTALS: &[(&str, &str, &str)] = &[
    (
        "orders placed",
        "SELECT uniqExact(order_id) FROM order_facts FINAL WHERE status = 'placed'",
        "SELECT count(*) FROM orders",
    ),
    (
        "order totals",
        "SELECT sum(total_minor) FROM order_facts FINAL WHERE status = 'placed'",
        "SELECT coalesce(sum(total_minor), 0) FROM orders",
    ),
    (
        "amount paid",
        "SELECT sum(amount_minor) FROM order_facts FINAL WHERE status = 'paid'",
        "SELECT coalesce(sum(paid_minor), 0) FROM orders",
    ),
    (
        "amount refunded on orders",
        "SELECT sum(amount_minor) FROM order_facts FINAL WHERE status = 'refunded'",
        "SELECT coalesce(sum(refunded_minor), 0) FROM orders",
    ),
    (
        "units ordered",
        "SELECT sum(quantity) FROM order_line_facts FINAL",
        "SELECT coalesce(sum(quantity), 0) FROM order_lines",
    ),
    (
        "payments captured",
        "SELECT sum(amount_minor) FROM payment_facts FINAL WHERE kind = 'captured'",
        "SELECT coalesce(sum(captured_minor), 0) FROM payments",
    ),
    (
        "payments refunded",
        "SELECT sum(amount_minor) FROM payment_facts FINAL WHERE kind = 'refunded'",
        "SELECT coalesce(sum(refunded_minor), 0) FROM payments",
    ),
    (
        "payments",
        "SELECT uniqExact(payment_id) FROM payment_facts FINAL",
        "SELECT count(*) FROM payments",
    ),
    (
        "stock on hand",
        "SELECT sum(h) FROM (SELECT argMax(on_hand, stream_version) AS h FROM stock_movements FINAL GROUP BY sku)",
        "SELECT coalesce(sum(on_hand), 0) FROM inventory_items",
    ),
    (
        "stock reserved",
        "SELECT sum(r) FROM (SELECT argMax(reserved, stream_version) AS r FROM stock_movements FINAL GROUP BY sku)",
        "SELECT coalesce(sum(reserved), 0) FROM inventory_items",
    ),
];

/// ClickHouse sales and stock totals against Postgres; returns the compared figures.
pub async fn clickhouse_matches_postgres(
    deployment: &Deployment,
    pool: &PgPool,
    v: &mut Violations,
) -> anyhow::Result<HashMap<String, (i64, i64)>> {
    let http = reqwest::Client::new();
    let mut figures = HashMap::new();
    for (name, clickhouse, postgres) in TOTALS {
        let ch = clickhouse_number(&http, deployment, clickhouse).await?;
        let pg: i64 = sqlx::query_scalar::<_, i64>(&format!("SELECT ({postgres})::bigint"))
            .fetch_one(pool)
            .await
            .with_context(|| format!("Postgres: {postgres}"))?;
        if ch != pg {
            v.add(
                "clickhouse_matches_postgres",
                format!("{name}: ClickHouse {ch}, Postgres {pg}"),
            );
        }
        figures.insert((*name).to_string(), (ch, pg));
    }
    Ok(figures)
}

async fn clickhouse_number(
    http: &reqwest::Client,
    deployment: &Deployment,
    query: &str,
) -> anyhow::Result<i64> {
    let ns = &deployment.ns;
    let text = http
        .post(&ns.clickhouse_url)
        .query(&[("database", ns.clickhouse_database.as_str())])
        .body(format!("{query} FORMAT TabSeparated"))
        .send()
        .await?
        .error_for_status()
        .with_context(|| format!("ClickHouse: {query}"))?
        .text()
        .await?;
    let value = text.trim();
    if value.is_empty() || value == "\\N" {
        return Ok(0);
    }
    value
        .parse::<f64>()
        .map(|n| n as i64)
        .with_context(|| format!("ClickHouse answered {value:?} to {query}"))
}
