//! `graphql`: the storefront's hottest reads through query-api, each measured alone
//! (closed loop, then open loop at half its rate):
//!
//! - **product page**: 20 products with their variants, prices and availability, asked
//!   anonymously, so from query-api's response cache while the catalog does not move (the
//!   storefront's common case; the first answer runs the query);
//! - **product page signed in**: the same page with a customer's token, which is never cached:
//!   what every answer costs when it has to be computed;
//! - **product detail**: one product by slug with attributes, variants and availability;
//! - **order history**: a signed-in customer's orders with lines and totals (`me.orders`), for
//!   a customer who placed five orders.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use serde_json::{Value, json};

use super::{Bench, poll, with};
use crate::{
    client::{Api, address},
    load::{Op, op},
};

const PRODUCT_PAGE: &str = "query ProductPage($first: Int) {
  products(first: $first) {
    edges { node { id slug name brand category
      priceRange { min { amountMinor currency } max { amountMinor currency } }
      variants { sku name price { amountMinor currency formatted }
                 availability { available onHand reserved } } } }
    pageInfo { hasNextPage endCursor }
  }
}";

const PRODUCT_DETAIL: &str = "query ProductDetail($slug: String!) {
  product(slug: $slug) {
    id slug name description category brand status
    attributes { name value }
    priceRange { min { formatted } max { formatted } }
    variants { sku name retired price { amountMinor currency formatted }
               attributes { name value } availability { available onHand reserved } }
  }
}";

const ORDER_HISTORY: &str = "query OrderHistory {
  me {
    id email displayName orderCount
    orders(first: 10) {
      edges { node { id status placedAt total { amountMinor currency formatted }
        lines { sku quantity unitPrice { formatted } lineTotal { amountMinor } } } }
    }
  }
}";

/// Orders the history customer places.
const HISTORY_ORDERS: usize = 5;

/// Registers a customer and places (and pays) [`HISTORY_ORDERS`] orders; returns the token
/// once `me.orders` shows them all.
async fn customer_with_orders(bench: &Bench, sku: &str) -> anyhow::Result<String> {
    let api = &bench.api;
    let registered: Value = api
        .http
        .post(format!("{}/auth/register", api.command))
        .json(
            &json!({ "email": format!("history-{}@example.com", uuid::Uuid::new_v4().simple()),
                       "password": "correct horse battery staple", "display_name": "History" }),
        )
        .send()
        .await?
        .json()
        .await?;
    let token = registered["access_token"]
        .as_str()
        .context("no access_token")?
        .to_string();
    for _ in 0..HISTORY_ORDERS {
        let consistency = api.cart_with_line(&token, sku, 2).await?;
        api.call(
            reqwest::Method::POST,
            "/checkout",
            &json!({ "shipping_address": address(), "wait": true }),
            &token,
            &[("x-consistency-token", consistency.as_str())],
        )
        .await?
        .ok("checkout")?;
    }
    let seen = poll(
        Duration::from_secs(60),
        Duration::from_millis(50),
        || async {
            let body = api
                .graphql(ORDER_HISTORY, json!({}), Some(&token))
                .await
                .ok()?;
            let edges = body["data"]["me"]["orders"]["edges"].as_array()?.len();
            (edges >= HISTORY_ORDERS).then_some(())
        },
    )
    .await;
    anyhow::ensure!(
        seen.is_some(),
        "the customer's orders never showed in GraphQL"
    );
    Ok(token)
}

/// One query as an operation; checks the answer holds what the page needs.
fn query_op(
    api: &Api,
    query: &'static str,
    variables: Value,
    bearer: Option<String>,
    check: fn(&Value) -> bool,
) -> Op {
    let (api, variables, bearer) = (api.clone(), Arc::new(variables), Arc::new(bearer));
    op(move |_| {
        let (api, variables, bearer) = (api.clone(), variables.clone(), bearer.clone());
        async move {
            let body = api
                .graphql(query, (*variables).clone(), bearer.as_deref())
                .await?;
            anyhow::ensure!(check(&body), "unexpected answer {body}");
            Ok(())
        }
    })
}

/// Runs the three reads.
pub async fn run(bench: &Bench) -> anyhow::Result<Value> {
    let first = bench
        .catalog
        .products
        .first()
        .context("the catalog is empty")?;
    let sku = first.skus.first().context("a product without SKU")?.clone();
    let token = customer_with_orders(bench, &sku).await?;
    let reads: [(&str, Op); 4] = [
        (
            "product_page",
            query_op(
                &bench.api,
                PRODUCT_PAGE,
                json!({ "first": 20 }),
                None,
                |body| {
                    body["data"]["products"]["edges"]
                        .as_array()
                        .is_some_and(|edges| edges.len() == 20)
                },
            ),
        ),
        (
            "product_page_signed_in",
            query_op(
                &bench.api,
                PRODUCT_PAGE,
                json!({ "first": 20 }),
                Some(token.clone()),
                |body| {
                    body["data"]["products"]["edges"]
                        .as_array()
                        .is_some_and(|edges| edges.len() == 20)
                },
            ),
        ),
        (
            "product_detail",
            query_op(
                &bench.api,
                PRODUCT_DETAIL,
                json!({ "slug": first.slug }),
                None,
                |body| {
                    body["data"]["product"]["variants"]
                        .as_array()
                        .is_some_and(|v| !v.is_empty())
                },
            ),
        ),
        (
            "order_history",
            query_op(&bench.api, ORDER_HISTORY, json!({}), Some(token), |body| {
                body["data"]["me"]["orders"]["edges"]
                    .as_array()
                    .is_some_and(|edges| edges.len() >= HISTORY_ORDERS)
            }),
        ),
    ];
    let mut figures = serde_json::Map::new();
    for (name, read) in reads {
        eprintln!("graphql: {name}");
        let (closed, open) = bench.closed_then_half(read).await;
        anyhow::ensure!(closed.ok > 0, "no {name} query succeeded");
        figures.insert(
            name.to_string(),
            json!({ "closed": with(&closed, json!({})), "open": with(&open, json!({})) }),
        );
    }
    Ok(Value::Object(figures))
}
