//! The shop the load buys from: a few dozen SKUs with scarce stock, and one coupon with tight
//! limits, created through the command API before the faults start.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::{
    client::{Answer, Client, Request},
    rng::Rng,
};

/// Products created; each has [`VARIANTS`] SKUs.
const PRODUCTS: usize = 6;
/// SKUs per product.
const VARIANTS: usize = 6;
/// The coupon shoppers sometimes apply.
pub const COUPON: &str = "FAULTS10";
/// Redemptions the coupon allows at once, and per customer.
pub const COUPON_LIMITS: (u32, u32) = (15, 1);

/// What the shop sells.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Every SKU.
    pub skus: Vec<String>,
}

/// Creates, stocks and publishes the products and creates the coupon.
pub async fn create(client: &Client, admin: &str, rng: &mut Rng) -> anyhow::Result<Catalog> {
    let mut skus = Vec::new();
    for p in 0..PRODUCTS {
        let variants: Vec<_> = (0..VARIANTS)
            .map(|v| {
                let sku = format!("FLT-{p}-{v}");
                skus.push(sku.clone());
                json!({ "sku": sku, "name": format!("Variant {v}"),
                        "price": { "amount_minor": rng.between(500, 5000), "currency": "EUR" } })
            })
            .collect();
        let body = json!({ "name": format!("Fault product {p}"), "slug": format!("fault-product-{p}"),
                           "category": "faults", "brand": "Agora", "variants": variants });
        let product = expect_ok(
            client,
            admin,
            Method::POST,
            "/products".into(),
            body,
            "product",
        )
        .await?;
        let product_id = product["product_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for v in 0..VARIANTS {
            let quantity = rng.between(3, 8);
            expect_ok(
                client,
                admin,
                Method::POST,
                format!("/inventory/FLT-{p}-{v}/receive"),
                json!({ "quantity": quantity }),
                "receive",
            )
            .await?;
        }
        expect_ok(
            client,
            admin,
            Method::POST,
            format!("/products/{product_id}/publish"),
            json!({}),
            "publish",
        )
        .await?;
    }
    let now = chrono::Utc::now();
    expect_ok(
        client,
        admin,
        Method::POST,
        "/coupons".into(),
        json!({ "code": COUPON, "discount": { "kind": "percentage", "basis_points": 1000 },
                "valid_from": now - chrono::Duration::hours(1),
                "valid_until": now + chrono::Duration::days(2),
                "global_limit": COUPON_LIMITS.0, "per_customer_limit": COUPON_LIMITS.1 }),
        "coupon",
    )
    .await?;
    Ok(Catalog { skus })
}

async fn expect_ok(
    client: &Client,
    admin: &str,
    method: Method,
    path: String,
    body: serde_json::Value,
    what: &'static str,
) -> anyhow::Result<serde_json::Value> {
    let request = Request {
        method,
        path: path.clone(),
        body,
        bearer: Some(admin),
        consistency: None,
        what,
    };
    match client.command(0, request).await {
        Answer::Ok(body) => Ok(body),
        other => anyhow::bail!("setting up the shop: {path}: {other:?}"),
    }
}

/// Waits until the catalog and inventory read models hold every SKU, published.
pub async fn wait_for_read_models(pool: &sqlx::PgPool, catalog: &Catalog) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let published: Option<i64> = sqlx::query_scalar(
            "SELECT count(*) FROM catalog_variants v JOIN catalog_products p USING (product_id)
             JOIN inventory_items i ON i.sku = v.sku WHERE p.status = 'published'",
        )
        .fetch_one(pool)
        .await
        .ok();
        if published == Some(catalog.skus.len() as i64) {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the catalog did not reach the read models within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
