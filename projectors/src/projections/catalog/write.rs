//! Writing folded patches with set-based statements (arrays bound once, `UNNEST`ed in SQL).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::fold::{ProductPatch, VariantPatch};

#[derive(Default)]
struct ProductColumns {
    product_id: Vec<Uuid>,
    slug: Vec<Option<String>>,
    name: Vec<Option<String>>,
    description: Vec<Option<String>>,
    category: Vec<Option<String>>,
    brand: Vec<Option<String>>,
    attributes: Vec<Option<Value>>,
    status: Vec<Option<String>>,
    created_at: Vec<Option<DateTime<Utc>>>,
    updated_at: Vec<DateTime<Utc>>,
    stream_version: Vec<i64>,
}

impl ProductColumns {
    fn push(&mut self, product_id: Uuid, patch: ProductPatch) {
        self.product_id.push(product_id);
        self.slug.push(patch.slug);
        self.name.push(patch.name);
        self.description.push(patch.description);
        self.category.push(patch.category);
        self.brand.push(patch.brand);
        self.attributes.push(patch.attributes);
        self.status.push(patch.status);
        self.created_at.push(patch.created_at);
        self.updated_at.push(patch.updated_at);
        self.stream_version.push(patch.stream_version);
    }
}

const PRODUCT_PATCHES: &str = "UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
        $6::text[], $7::jsonb[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::bigint[])
    AS p(product_id, slug, name, description, category, brand, attributes, status, created_at,
         updated_at, stream_version)";

async fn write_products(
    conn: &mut PgConnection,
    sql: &str,
    columns: &ProductColumns,
) -> Result<(), sqlx::Error> {
    if columns.product_id.is_empty() {
        return Ok(());
    }
    sqlx::query(sql)
        .bind(&columns.product_id)
        .bind(&columns.slug)
        .bind(&columns.name)
        .bind(&columns.description)
        .bind(&columns.category)
        .bind(&columns.brand)
        .bind(&columns.attributes)
        .bind(&columns.status)
        .bind(&columns.created_at)
        .bind(&columns.updated_at)
        .bind(&columns.stream_version)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Default)]
struct VariantColumns {
    ordinal: Vec<i64>,
    sku: Vec<String>,
    product_id: Vec<Uuid>,
    name: Vec<Option<String>>,
    price_minor: Vec<Option<i64>>,
    currency: Vec<Option<String>>,
    attributes: Vec<Option<Value>>,
    retired: Vec<Option<bool>>,
}

impl VariantColumns {
    fn push(&mut self, ordinal: usize, patch: VariantPatch) {
        self.ordinal.push(ordinal as i64);
        self.sku.push(patch.sku);
        self.product_id.push(patch.product_id);
        self.name.push(patch.name);
        self.price_minor.push(patch.price_minor);
        self.currency.push(patch.currency);
        self.attributes.push(patch.attributes);
        self.retired.push(patch.retired);
    }
}

const VARIANT_PATCHES: &str = "UNNEST($1::bigint[], $2::text[], $3::uuid[], $4::text[],
        $5::bigint[], $6::text[], $7::jsonb[], $8::boolean[])
    AS p(ordinal, sku, product_id, name, price_minor, currency, attributes, retired)";

async fn write_variants(
    conn: &mut PgConnection,
    sql: &str,
    columns: &VariantColumns,
) -> Result<(), sqlx::Error> {
    if columns.sku.is_empty() {
        return Ok(());
    }
    sqlx::query(sql)
        .bind(&columns.ordinal)
        .bind(&columns.sku)
        .bind(&columns.product_id)
        .bind(&columns.name)
        .bind(&columns.price_minor)
        .bind(&columns.currency)
        .bind(&columns.attributes)
        .bind(&columns.retired)
        .execute(conn)
        .await?;
    Ok(())
}

/// Currency, price range and count of the active variants of the given products.
const RECOMPUTE_PRICES: &str = "
    UPDATE catalog_products AS c SET
        currency = s.currency,
        min_price_minor = s.min_price_minor,
        max_price_minor = s.max_price_minor,
        variant_count = s.variant_count
    FROM (
        SELECT t.product_id, min(v.currency) AS currency, min(v.price_minor) AS min_price_minor,
               max(v.price_minor) AS max_price_minor, count(v.sku)::int AS variant_count
        FROM UNNEST($1::uuid[]) AS t(product_id)
        LEFT JOIN catalog_variants AS v ON v.product_id = t.product_id AND NOT v.retired
        GROUP BY t.product_id
    ) AS s
    WHERE c.product_id = s.product_id";

/// Inserts created products and updates the others.
pub(super) async fn products(
    conn: &mut PgConnection,
    patches: BTreeMap<Uuid, ProductPatch>,
) -> Result<(), sqlx::Error> {
    let mut created = ProductColumns::default();
    let mut changed = ProductColumns::default();
    for (product_id, patch) in patches {
        if patch.created {
            created.push(product_id, patch);
        } else {
            changed.push(product_id, patch);
        }
    }
    let insert = format!(
        "INSERT INTO catalog_products (product_id, slug, name, description, category, brand,
             attributes, status, created_at, updated_at, stream_version)
         SELECT product_id, slug, name, description, category, brand, attributes, status,
                created_at, updated_at, stream_version
         FROM {PRODUCT_PATCHES}"
    );
    let update = format!(
        "UPDATE catalog_products AS c SET
             name = COALESCE(p.name, c.name),
             description = COALESCE(p.description, c.description),
             category = COALESCE(p.category, c.category),
             brand = COALESCE(p.brand, c.brand),
             attributes = COALESCE(p.attributes, c.attributes),
             status = COALESCE(p.status, c.status),
             updated_at = p.updated_at,
             stream_version = p.stream_version
         FROM {PRODUCT_PATCHES}
         WHERE c.product_id = p.product_id"
    );
    write_products(&mut *conn, &insert, &created).await?;
    write_products(&mut *conn, &update, &changed).await
}

/// Inserts added variants (after the product's existing ones, in the order added) and
/// updates the others.
pub(super) async fn variants(
    conn: &mut PgConnection,
    patches: Vec<VariantPatch>,
) -> Result<(), sqlx::Error> {
    let mut added = VariantColumns::default();
    let mut modified = VariantColumns::default();
    for (ordinal, patch) in patches.into_iter().enumerate() {
        if patch.added {
            added.push(ordinal, patch);
        } else {
            modified.push(ordinal, patch);
        }
    }
    let insert = format!(
        "INSERT INTO catalog_variants (sku, product_id, name, price_minor, currency,
             attributes, retired, position)
         SELECT p.sku, p.product_id, p.name, p.price_minor, p.currency, p.attributes,
                p.retired,
                COALESCE((SELECT max(v.position) FROM catalog_variants AS v
                          WHERE v.product_id = p.product_id), -1)
                + row_number() OVER (PARTITION BY p.product_id ORDER BY p.ordinal)
         FROM {VARIANT_PATCHES}"
    );
    // A product only ever changes its own variants, whatever SKU an event names.
    let update = format!(
        "UPDATE catalog_variants AS v SET
             name = COALESCE(p.name, v.name),
             price_minor = COALESCE(p.price_minor, v.price_minor),
             currency = COALESCE(p.currency, v.currency),
             attributes = COALESCE(p.attributes, v.attributes),
             retired = COALESCE(p.retired, v.retired)
         FROM {VARIANT_PATCHES}
         WHERE v.sku = p.sku AND v.product_id = p.product_id"
    );
    write_variants(&mut *conn, &insert, &added).await?;
    write_variants(&mut *conn, &update, &modified).await
}

/// Recomputes currency, price range and active variant count of `products`.
pub(super) async fn recompute_prices(
    conn: &mut PgConnection,
    products: &[Uuid],
) -> Result<(), sqlx::Error> {
    if products.is_empty() {
        return Ok(());
    }
    sqlx::query(RECOMPUTE_PRICES)
        .bind(products)
        .execute(conn)
        .await?;
    Ok(())
}
