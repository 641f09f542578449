//! The test catalog, written directly into the read models the projectors would fill.
//!
//! Hand-written products exercise filters and search; twenty "Basic Tee" fillers make pages
//! long enough to count statements. Expected orders in tests are computed from [`products`],
//! not written out by hand.

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

/// A product of the test catalog.
#[derive(Debug, Clone)]
pub struct TestProduct {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub brand: String,
    pub attributes: Value,
    pub status: &'static str,
    pub variants: Vec<TestVariant>,
}

/// A variant, with its inventory if any.
#[derive(Debug, Clone)]
pub struct TestVariant {
    pub sku: String,
    pub name: String,
    pub price_minor: i64,
    pub attributes: Value,
    pub retired: bool,
    /// (on hand, reserved, low-stock threshold)
    pub stock: Option<(i64, i64, i64)>,
}

fn variant(sku: &str, name: &str, price_minor: i64, attributes: Value) -> TestVariant {
    TestVariant {
        sku: sku.to_string(),
        name: name.to_string(),
        price_minor,
        attributes,
        retired: false,
        stock: None,
    }
}

impl TestVariant {
    fn stock(mut self, on_hand: i64, reserved: i64, threshold: i64) -> Self {
        self.stock = Some((on_hand, reserved, threshold));
        self
    }

    fn retired(mut self) -> Self {
        self.retired = true;
        self
    }
}

#[allow(clippy::too_many_arguments)]
fn product(
    n: u128,
    name: &str,
    category: &str,
    brand: &str,
    description: &str,
    attributes: Value,
    status: &'static str,
    variants: Vec<TestVariant>,
) -> TestProduct {
    TestProduct {
        id: Uuid::from_u128(n),
        slug: name.to_lowercase().replace(' ', "-"),
        name: name.to_string(),
        description: description.to_string(),
        category: category.to_string(),
        brand: brand.to_string(),
        attributes,
        status,
        variants,
    }
}

/// The whole test catalog: 26 published products, one draft, one deleted.
pub fn products() -> Vec<TestProduct> {
    let mut products = vec![
        product(
            1,
            "Alpine Wool Scarf",
            "accessories",
            "Nordkap",
            "Warm merino wool scarf, knitted in Norway.",
            json!({"material": "wool", "origin": "Norway"}),
            "published",
            vec![
                variant("SCARF-RED", "Red", 2990, json!({"colour": "red"})).stock(12, 2, 3),
                variant("SCARF-GREY", "Grey", 2990, json!({"colour": "grey"})).stock(4, 1, 5),
            ],
        ),
        product(
            2,
            "Canvas Sneaker",
            "footwear",
            "Stride",
            "Everyday canvas sneaker with a rubber sole.",
            json!({"material": "canvas"}),
            "published",
            vec![
                variant("SNK-40", "EU 40", 6900, json!({"size": "40"})).stock(10, 2, 3),
                variant("SNK-42", "EU 42", 7400, json!({"size": "42"})).stock(3, 1, 5),
                variant("SNK-44", "EU 44", 7400, json!({"size": "44"})).retired(),
            ],
        ),
        product(
            3,
            "Cotton Crew Tee",
            "apparel",
            "Stride",
            "Soft organic cotton t-shirt.",
            json!({"material": "cotton"}),
            "published",
            vec![
                variant("TEE-S", "Small", 1990, json!({"size": "S"})).stock(30, 0, 5),
                variant("TEE-M", "Medium", 1990, json!({"size": "M"})).stock(25, 5, 5),
            ],
        ),
        product(
            4,
            "Linen Shirt",
            "apparel",
            "Nordkap",
            "Breathable linen for warm days, lighter than wool.",
            json!({"material": "linen"}),
            "published",
            vec![variant("LINEN-M", "Medium", 5900, json!({"size": "M"})).stock(7, 0, 2)],
        ),
        product(
            5,
            "Wool Hiking Socks",
            "accessories",
            "Nordkap",
            "Cushioned merino wool socks for long walks.",
            json!({"material": "wool"}),
            "published",
            vec![variant("SOCK-42", "EU 39-42", 1490, json!({"size": "39-42"})).stock(50, 3, 10)],
        ),
        product(
            6,
            "Rain Jacket",
            "apparel",
            "Stride",
            "Waterproof shell for wet days.",
            json!({}),
            "published",
            vec![],
        ),
        product(
            7,
            "Secret Prototype Boot",
            "footwear",
            "Stride",
            "Not announced yet.",
            json!({}),
            "draft",
            vec![variant("BOOT-X", "EU 42", 19900, json!({})).stock(1, 0, 0)],
        ),
        product(
            8,
            "Discontinued Wool Hat",
            "accessories",
            "Nordkap",
            "No longer sold.",
            json!({"material": "wool"}),
            "deleted",
            vec![],
        ),
    ];
    for i in 1..=20u128 {
        products.push(product(
            100 + i,
            &format!("Basic Tee {i:02}"),
            "basics",
            "Plain",
            "A plain tee.",
            json!({"fit": "regular"}),
            "published",
            vec![
                variant(
                    &format!("BASIC-{i:02}-M"),
                    "Medium",
                    990,
                    json!({"size": "M"}),
                )
                .stock(20, 0, 2),
                variant(
                    &format!("BASIC-{i:02}-L"),
                    "Large",
                    1090,
                    json!({"size": "L"}),
                )
                .stock(1, 0, 2),
            ],
        ));
    }
    products
}

/// When every row was last changed (read models carry event times, never the clock).
pub fn updated_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Writes [`products`] into the catalog and inventory read models.
pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let at = updated_at();
    for product in products() {
        let active: Vec<&TestVariant> = product.variants.iter().filter(|v| !v.retired).collect();
        let min = active.iter().map(|v| v.price_minor).min();
        let max = active.iter().map(|v| v.price_minor).max();
        let currency = (!active.is_empty()).then_some("EUR");
        sqlx::query(
            "INSERT INTO catalog_products (product_id, slug, name, description, category, brand,
                 attributes, status, currency, min_price_minor, max_price_minor, variant_count,
                 created_at, updated_at, stream_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1)",
        )
        .bind(product.id)
        .bind(&product.slug)
        .bind(&product.name)
        .bind(&product.description)
        .bind(&product.category)
        .bind(&product.brand)
        .bind(&product.attributes)
        .bind(product.status)
        .bind(currency)
        .bind(min)
        .bind(max)
        .bind(i32::try_from(active.len())?)
        .bind(at)
        .execute(pool)
        .await
        .with_context(|| format!("inserting product {}", product.name))?;
        for (position, variant) in product.variants.iter().enumerate() {
            sqlx::query(
                "INSERT INTO catalog_variants (sku, product_id, name, price_minor, currency,
                     attributes, retired, position)
                 VALUES ($1, $2, $3, $4, 'EUR', $5, $6, $7)",
            )
            .bind(&variant.sku)
            .bind(product.id)
            .bind(&variant.name)
            .bind(variant.price_minor)
            .bind(&variant.attributes)
            .bind(variant.retired)
            .bind(i32::try_from(position)?)
            .execute(pool)
            .await
            .with_context(|| format!("inserting variant {}", variant.sku))?;
            if let Some((on_hand, reserved, threshold)) = variant.stock {
                sqlx::query(
                    "INSERT INTO inventory_items (sku, product_id, on_hand, reserved,
                         low_stock_threshold, updated_at, stream_version)
                     VALUES ($1, $2, $3, $4, $5, $6, 1)",
                )
                .bind(&variant.sku)
                .bind(product.id)
                .bind(on_hand)
                .bind(reserved)
                .bind(threshold)
                .bind(at)
                .execute(pool)
                .await
                .with_context(|| format!("inserting inventory of {}", variant.sku))?;
            }
        }
    }
    Ok(())
}

/// Names of the published products, in the listing's order (name, then id).
pub fn published_names() -> Vec<String> {
    let mut published: Vec<TestProduct> = products()
        .into_iter()
        .filter(|p| p.status == "published")
        .collect();
    published.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    published.into_iter().map(|p| p.name).collect()
}
