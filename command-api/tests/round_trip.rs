//! The whole slice: command → event → Postgres read model → GraphQL, with every service running
//! as its own process against the real broker, Postgres and ClickHouse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use runtime::testing::eventually;
use serde_json::{Value, json};
use support::{WriteSide, free_port};

async fn graphql(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let response = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?;
    Ok(response.json().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_created_and_stocked_through_commands_is_served_by_graphql() {
    let side = WriteSide::start("round-trip", 1, 1).await.unwrap();
    let _projector = side
        .ns
        .spawn(
            "agora-projector",
            &["run"],
            &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
        )
        .unwrap();
    let query_addr = format!("127.0.0.1:{}", free_port().unwrap());
    let _query_api = side
        .ns
        .spawn("agora-query-api", &[], &[("AGORA_QUERY_ADDR", &query_addr)])
        .unwrap();
    let graphql_url = format!("http://{query_addr}/graphql");

    let product_id = side
        .create_product("round-trip-scarf", &["RT-SCARF-S", "RT-SCARF-L"])
        .await
        .unwrap();
    let (status, body) = side
        .post(
            0,
            "/inventory/RT-SCARF-L/receive",
            json!({ "quantity": 12 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = side
        .post(
            0,
            &format!("/products/{product_id}/publish"),
            json!({}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body["consistency_token"]
            .as_str()
            .unwrap()
            .starts_with("v1.")
    );

    let query = r#"query($slug: String) { product(slug: $slug) {
        id name status brand category
        variants { sku price { amountMinor currency } availability { onHand reserved available } }
    } }"#;
    let http = side.http.clone();
    let product = eventually(
        Duration::from_secs(60),
        "the product to be visible and stocked in GraphQL",
        || {
            let http = http.clone();
            let url = graphql_url.clone();
            async move {
                let Ok(response) =
                    graphql(&http, &url, query, json!({ "slug": "round-trip-scarf" })).await
                else {
                    return Ok(None); // query-api still starting
                };
                let product = response["data"]["product"].clone();
                let stocked = product["variants"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|v| v["availability"]["onHand"] == 12));
                Ok(
                    (product["status"] == "PUBLISHED" || product["status"] == "published")
                        .then_some(product)
                        .filter(|_| stocked),
                )
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(product["id"], product_id);
    assert_eq!(product["name"], "Product round-trip-scarf");
    let large = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == "RT-SCARF-L")
        .unwrap();
    assert_eq!(
        large["price"],
        json!({ "amountMinor": 1500, "currency": "EUR" })
    );
    assert_eq!(
        large["availability"],
        json!({ "onHand": 12, "reserved": 0, "available": 12 })
    );

    let inventory = graphql(
        &http,
        &graphql_url,
        r#"{ inventory(sku: "RT-SCARF-S") { available } }"#,
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(inventory["data"]["inventory"]["available"], 0);
}
