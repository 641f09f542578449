//! `inventory(sku)` against a real Postgres read model.

mod common;

use common::TestApp;
use serde_json::json;

const INVENTORY: &str = r#"
query Inventory($sku: String!) {
  inventory(sku: $sku) { sku onHand reserved available lowStockThreshold lowStock updatedAt }
}"#;

#[tokio::test]
async fn inventory_of_a_sku_reports_its_stock_and_whether_it_runs_low() -> anyhow::Result<()> {
    let app = TestApp::seeded("inventory_sku").await?;
    let low = app.query(INVENTORY, json!({"sku": "SNK-42"})).await?;
    insta::assert_json_snapshot!("snk_42_low", low);

    let plenty = app.query(INVENTORY, json!({"sku": "SNK-40"})).await?;
    assert_eq!(plenty["data"]["inventory"]["available"], 8);
    assert_eq!(plenty["data"]["inventory"]["lowStock"], false);
    Ok(())
}

#[tokio::test]
async fn inventory_of_an_unknown_sku_is_not_found() -> anyhow::Result<()> {
    let app = TestApp::seeded("inventory_missing").await?;
    // SNK-44 exists in the catalog but has no inventory yet.
    for sku in ["NO-SUCH-SKU", "SNK-44"] {
        let response = app.query(INVENTORY, json!({"sku": sku})).await?;
        assert_eq!(response["data"]["inventory"], serde_json::Value::Null);
        assert_eq!(response["errors"][0]["extensions"]["code"], "NOT_FOUND");
        assert_eq!(response["errors"][0]["path"], json!(["inventory"]));
    }
    let response = app.query(INVENTORY, json!({"sku": "NO-SUCH-SKU"})).await?;
    insta::assert_json_snapshot!("unknown_sku", response);
    Ok(())
}
