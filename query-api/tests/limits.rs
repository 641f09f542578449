//! Queries refused during validation: too deep, too complex, malformed. None of them may
//! reach the database, so these tests run against an unreachable one.

mod common;

use common::{post_graphql, state_without_database};
use query_api::startup::router;
use serde_json::json;

/// `products(first: 1) { edges { node { variants { product { variants { … sku } } } } } }`,
/// with the variant/product cycle repeated `cycles` times: depth `5 + 2 * cycles`, and cheap
/// enough (one row) that depth, not complexity, is what refuses it.
fn nested_products(cycles: usize) -> String {
    let mut query = String::from("{ products(first: 1) { edges { node { variants { ");
    for _ in 0..cycles {
        query.push_str("product { variants { ");
    }
    query.push_str("sku");
    query.push_str(&" } }".repeat(cycles));
    query.push_str(" } } } } }");
    query
}

#[tokio::test]
async fn a_depth_bomb_is_refused_before_any_sql_runs() -> anyhow::Result<()> {
    let state = state_without_database()?;
    // Depth 13, one more than allowed.
    let response = post_graphql(router(state.clone()), &nested_products(4), json!({})).await?;
    insta::assert_json_snapshot!("depth_bomb", response);

    let response = post_graphql(router(state.clone()), &introspection(12), json!({})).await?;
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        "QUERY_TOO_DEEP"
    );

    // Far deeper documents are already refused by the parser's recursion limit.
    let response = post_graphql(router(state.clone()), &introspection(40), json!({})).await?;
    insta::assert_json_snapshot!("parser_depth_bomb", response);
    assert_eq!(state.store.statements(), 0);
    Ok(())
}

/// `__schema { types { fields { type { ofType { … name } } } } }`: depth `5 + levels`, one
/// point per field.
fn introspection(levels: usize) -> String {
    format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(levels),
        "}".repeat(levels)
    )
}

#[tokio::test]
async fn queries_at_the_depth_limit_are_answered() -> anyhow::Result<()> {
    let state = state_without_database()?;
    let at_limit = post_graphql(router(state.clone()), &introspection(7), json!({})).await?;
    assert!(at_limit.get("errors").is_none(), "{at_limit}");
    assert!(at_limit["data"]["__schema"]["types"].is_array());

    let over_limit = post_graphql(router(state.clone()), &introspection(8), json!({})).await?;
    assert_eq!(
        over_limit["errors"][0]["extensions"]["code"],
        "QUERY_TOO_DEEP"
    );

    // The product cycle at depth 11 passes validation and fails only on the missing database,
    // opaquely.
    let response = post_graphql(router(state.clone()), &nested_products(3), json!({})).await?;
    assert_eq!(response["errors"][0]["extensions"]["code"], "INTERNAL");
    assert_eq!(response["errors"][0]["message"], "internal error");
    Ok(())
}

#[tokio::test]
async fn a_query_asking_for_too_many_rows_is_refused_as_too_complex() -> anyhow::Result<()> {
    let state = state_without_database()?;
    let page = "products(first: 100) { edges { node { variants { sku name \
                price { amountMinor currency formatted } \
                availability { sku onHand reserved available } } } } }";
    let query = format!("{{ a: {page} b: {page} }}");
    let response = post_graphql(router(state.clone()), &query, json!({})).await?;
    insta::assert_json_snapshot!("too_complex", response);
    assert_eq!(state.store.statements(), 0);
    Ok(())
}

#[tokio::test]
async fn malformed_and_invalid_documents_get_their_own_codes() -> anyhow::Result<()> {
    let state = state_without_database()?;
    let unparsable = post_graphql(router(state.clone()), "{ products { ", json!({})).await?;
    assert_eq!(
        unparsable["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );

    let unknown_field =
        post_graphql(router(state.clone()), "{ products { price } }", json!({})).await?;
    insta::assert_json_snapshot!("unknown_field", unknown_field);

    let wrong_variable = post_graphql(
        router(state.clone()),
        "query($first: Int) { products(first: $first) { totalCount } }",
        json!({"first": "ten"}),
    )
    .await?;
    insta::assert_json_snapshot!("wrong_variable_type", wrong_variable);
    assert_eq!(state.store.statements(), 0);
    Ok(())
}
