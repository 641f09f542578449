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
async fn a_page_of_twenty_products_with_variants_and_availability_costs_four_statements()
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

    // page + variants + availability + the variants' products.
    assert_eq!(statements, 4);
    Ok(())
}

#[tokio::test]
async fn statements_do_not_grow_with_the_page_size() -> anyhow::Result<()> {
    let app = TestApp::seeded("statements_scale").await?;
    let (small, _) = cost(&app, PAGE, json!({"first": 2})).await?;
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
