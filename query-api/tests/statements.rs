//! DataLoaders keep the number of SQL statements per request constant: one per relation,
//! however many products a page holds.

mod common;

use common::{TestApp, data};
use serde_json::{Value, json};

const PAGE: &str = r#"
query Page($first: Int) {
  products(first: $first) {
    edges { node { id name variants { sku price { formatted } availability { available lowStock } product { slug } } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Statements one query costs, and its data.
async fn cost(app: &TestApp, query: &str, variables: Value) -> anyhow::Result<(u64, Value)> {
    let before = app.statements();
    let response = app.query(query, variables).await?;
    let data = data(&response)?.clone();
    Ok((app.statements() - before, data))
}

#[tokio::test]
async fn a_page_of_twenty_products_with_variants_and_availability_costs_three_statements()
-> anyhow::Result<()> {
    let app = TestApp::seeded("statements_page").await?;
    let (statements, data) = cost(&app, PAGE, json!({"first": 20})).await?;

    // The page really holds what was counted: 20 products, their variants and stock.
    let edges = data["products"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edges.len(), 20);
    let variants: Vec<&Value> = edges
        .iter()
        .flat_map(|edge| edge["node"]["variants"].as_array().into_iter().flatten())
        .collect();
    assert!(variants.len() >= 30, "only {} variants", variants.len());
    assert!(variants.iter().all(|v| v["product"]["slug"].is_string()));
    assert!(
        variants
            .iter()
            .any(|v| v["availability"]["available"].is_i64())
    );

    // page + variants + availability; the variants' products are the page's own rows.
    assert_eq!(statements, 3);
    Ok(())
}

#[tokio::test]
async fn statements_do_not_grow_with_the_page_size() -> anyhow::Result<()> {
    let app = TestApp::seeded("statements_scale").await?;
    // Both pages hold the sneaker, whose retired size has no inventory (see the fifty test).
    let (small, _) = cost(&app, PAGE, json!({"first": 25})).await?;
    // The largest page with variants and stock is within the complexity limit.
    let (large, data) = cost(&app, PAGE, json!({"first": 100})).await?;
    assert_eq!(data["products"]["edges"].as_array().map(Vec::len), Some(26));
    assert_eq!(small, large);

    // totalCount is one more statement, and only when selected.
    let (with_count, _) = cost(
        &app,
        "{ products(first: 5) { edges { node { name } } totalCount } }",
        json!({}),
    )
    .await?;
    let (without_count, _) = cost(
        &app,
        "{ products(first: 5) { edges { node { name } } } }",
        json!({}),
    )
    .await?;
    assert_eq!((without_count, with_count), (1, 2));
    Ok(())
}

/// Adds `count` published products with two stocked variants each (names sort after the
/// catalog's), so a page can hold more than the test catalog's 26 products.
async fn add_products(app: &TestApp, count: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO catalog_products (product_id, slug, name, category, brand, status, currency,
             min_price_minor, max_price_minor, variant_count, created_at, updated_at,
             stream_version)
         SELECT md5('extra-' || n)::uuid, 'extra-' || n, 'Zz Extra ' || lpad(n::text, 3, '0'),
                'extras', 'Plain', 'published', 'EUR', 500, 600, 2, now(), now(), 1
         FROM generate_series(1, $1) AS n",
    )
    .bind(count)
    .execute(&app.pool)
    .await?;
    sqlx::query(
        "INSERT INTO catalog_variants (sku, product_id, name, price_minor, currency, position)
         SELECT 'EXTRA-' || n || '-' || v, md5('extra-' || n)::uuid, 'V' || v, 400 + 100 * v,
                'EUR', v - 1
         FROM generate_series(1, $1) AS n, generate_series(1, 2) AS v",
    )
    .bind(count)
    .execute(&app.pool)
    .await?;
    sqlx::query(
        "INSERT INTO inventory_items (sku, product_id, on_hand, reserved, low_stock_threshold,
             updated_at, stream_version)
         SELECT sku, product_id, 5, 1, 2, now(), 1 FROM catalog_variants WHERE sku LIKE 'EXTRA-%'",
    )
    .execute(&app.pool)
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_page_of_fifty_products_with_variants_and_availability_costs_four_statements()
-> anyhow::Result<()> {
    let app = TestApp::seeded("statements_fifty").await?;
    add_products(&app, 30).await?;
    let (statements, data) = cost(&app, PAGE, json!({"first": 50})).await?;
    let edges = data["products"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edges.len(), 50);
    let variants: Vec<&Value> = edges
        .iter()
        .flat_map(|edge| edge["node"]["variants"].as_array().into_iter().flatten())
        .collect();
    assert!(variants.len() >= 90, "only {} variants", variants.len());
    // Every added variant is stocked (the catalog's retired sneaker size is not).
    let added: Vec<&&Value> = variants
        .iter()
        .filter(|v| {
            v["sku"]
                .as_str()
                .is_some_and(|sku| sku.starts_with("EXTRA-"))
        })
        .collect();
    assert!(added.len() >= 40, "only {} added variants", added.len());
    assert!(added.iter().all(|v| v["availability"]["available"] == 4));
    // page + variants + availability, plus one batch for the SKUs without inventory (the
    // sneaker's retired size): the loader cache keeps only rows it found, so those SKUs are
    // asked for again, all together.
    assert_eq!(statements, 4);

    // Filters, sorting and facets do not change that: facets are one more statement.
    let (filtered, _) = cost(
        &app,
        r#"query($first: Int) { products(first: $first, sort: PRICE_DESC,
               filter: {inStock: true, attributes: [{name: "size", values: ["M"]}], minPriceMinor: 1}) {
             edges { node { variants { sku availability { available } product { slug } } } }
             facets { brands { value count } prices { count } }
           } }"#,
        json!({"first": 50}),
    )
    .await?;
    assert_eq!(filtered, 4);
    Ok(())
}
