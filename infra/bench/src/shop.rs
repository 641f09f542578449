//! Opening the benchmark's shop through command-api, as staff would: products with variants,
//! stock received, published; then waiting until the read models show them (checkout and the
//! storefront read from there).

use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use sqlx::PgPool;
use tokio::time::Instant;

use crate::{
    client::Api,
    load::{closed, op},
};

/// One product of the catalog.
#[derive(Debug, Clone)]
pub struct Product {
    /// Its slug.
    pub slug: String,
    /// Its SKUs.
    pub skus: Vec<String>,
}

/// What the shop sells.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Products in creation order.
    pub products: Vec<Product>,
}

impl Catalog {
    /// Every SKU.
    pub fn skus(&self) -> Vec<String> {
        self.products
            .iter()
            .flat_map(|p| p.skus.iter().cloned())
            .collect()
    }
}

/// Most variants registered per product by [`register_skus`].
const SKUS_PER_PRODUCT: u64 = 100;

/// Waits until the write path answers: the processor has taken over its partitions.
pub async fn wait_for_write_path(api: &Api) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let answer = api
            .call(
                reqwest::Method::POST,
                "/products",
                &json!({ "name": "Warm-up", "slug": "bench-warmup", "category": "bench",
                         "brand": "Agora", "variants": [{ "sku": "WARMUP-1", "name": "Warm-up",
                         "price": { "amount_minor": 100, "currency": "EUR" } }] }),
                &api.admin,
                &[("idempotency-key", "bench-warmup")],
            )
            .await;
        match answer {
            Ok(answer) if answer.status == 200 => return Ok(()),
            other if Instant::now() >= deadline => {
                anyhow::bail!("the write path did not answer within 120 s: {other:?}")
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Registers `count` SKUs named `<prefix>-<nnnnn>` with inventory (as variants of unpublished
/// products, at most 100 per product) so stock commands can target them; returns once every
/// registration was answered.
pub async fn register_skus(api: &Api, prefix: &str, count: u64) -> anyhow::Result<()> {
    let shared = api.clone();
    let prefix = prefix.to_string();
    closed::each(
        count.div_ceil(SKUS_PER_PRODUCT),
        4,
        op(move |n| {
            let (api, prefix) = (shared.clone(), prefix.clone());
            async move {
                let first = n * SKUS_PER_PRODUCT;
                let variants: Vec<_> = (first..count.min(first + SKUS_PER_PRODUCT))
                    .map(|i| {
                        json!({ "sku": format!("{prefix}-{i:05}"), "name": format!("{i}"),
                                     "price": { "amount_minor": 100, "currency": "EUR" } })
                    })
                    .collect();
                let slug = format!("{}-skus-{n}", prefix.to_ascii_lowercase());
                api.staff(
                    "/products",
                    json!({ "name": slug, "slug": slug, "category": "bench-stock",
                            "brand": "Agora", "variants": variants }),
                )
                .await?;
                Ok(())
            }
        }),
    )
    .await?;
    Ok(())
}

/// Creates, stocks (`stock` units per SKU) and publishes `products` products of `variants`
/// variants each, named `<prefix>-<n>`, then waits for the catalog read model.
pub async fn open(
    api: &Api,
    db: &PgPool,
    prefix: &str,
    products: usize,
    variants: usize,
    stock: u32,
) -> anyhow::Result<Catalog> {
    let shared = api.clone();
    let prefix_owned = prefix.to_string();
    let created = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = created.clone();
    closed::each(
        products as u64,
        8,
        op(move |n| {
            let (api, prefix, sink) = (shared.clone(), prefix_owned.clone(), sink.clone());
            async move {
                let product = create(&api, &prefix, n, variants, stock).await?;
                sink.lock()
                    .map_err(|_| anyhow::anyhow!("catalog lock poisoned"))?
                    .push(product);
                Ok(())
            }
        }),
    )
    .await?;
    let mut products_list = std::mem::take(
        &mut *created
            .lock()
            .map_err(|_| anyhow::anyhow!("catalog lock poisoned"))?,
    );
    products_list.sort_by(|a, b| a.slug.cmp(&b.slug));
    let pattern = format!("{}-%", prefix.to_ascii_lowercase());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let published: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM catalog_products WHERE status = 'published' AND slug LIKE $1",
        )
        .bind(&pattern)
        .fetch_one(db)
        .await
        .unwrap_or(0);
        let stocked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM inventory_items WHERE sku LIKE $1 AND on_hand >= $2",
        )
        .bind(format!("{}-%", prefix.to_ascii_uppercase()))
        .bind(i64::from(stock))
        .fetch_one(db)
        .await
        .unwrap_or(0);
        if published as usize == products && stocked as usize == products * variants {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the catalog did not reach the read models in 120 s ({published} published, {stocked} stocked)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Catalog {
        products: products_list,
    })
}

async fn create(
    api: &Api,
    prefix: &str,
    n: u64,
    variants: usize,
    stock: u32,
) -> anyhow::Result<Product> {
    let slug = format!("{}-{n:04}", prefix.to_ascii_lowercase());
    let skus: Vec<String> = (0..variants)
        .map(|v| format!("{}-{n:04}-{v}", prefix.to_ascii_uppercase()))
        .collect();
    let variant_bodies: Vec<_> = skus
        .iter()
        .zip(0i64..)
        .map(|(sku, v)| {
            json!({ "sku": sku, "name": format!("Size {v}"),
                                "price": { "amount_minor": 1_990 + 100 * v, "currency": "EUR" } })
        })
        .collect();
    let body = api
        .staff(
            "/products",
            json!({ "name": format!("Bench product {n:04}"), "slug": slug,
                    "description": "A product of the benchmark catalog.",
                    "category": format!("bench-{}", n % 4), "brand": "Agora",
                    "attributes": { "material": if n.is_multiple_of(2) { "wool" } else { "cotton" } },
                    "variants": variant_bodies }),
        )
        .await?;
    let id = body["product_id"]
        .as_str()
        .context("no product_id in the answer")?
        .to_string();
    for sku in &skus {
        api.staff(
            &format!("/inventory/{sku}/receive"),
            json!({ "quantity": stock }),
        )
        .await?;
    }
    api.staff(&format!("/products/{id}/publish"), json!({}))
        .await?;
    Ok(Product { slug, skus })
}
