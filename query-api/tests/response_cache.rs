//! The response cache of anonymous catalog reads: a repeated page costs one statement (the data
//! version) and gives the same answer; a commit of the catalog projection (its rows and its
//! checkpoint in one transaction, as the projector writes them) is visible at once; signed-in
//! callers, consistency tokens, other fields and errors are never cached.

mod common;

use common::{
    TestApp,
    commerce::{query_as, token},
    data,
};
use query_api::startup::AppState;
use serde_json::{Value, json};
use uuid::Uuid;

const PAGE: &str = "query Page($first: Int) {
  products(first: $first) { edges { node { slug name variants { sku availability { available } } } } }
}";

/// A seeded app whose state caches answers.
async fn caching_app(label: &str) -> anyhow::Result<TestApp> {
    let mut app = TestApp::seeded(label).await?;
    app.config.response_cache_entries = 64;
    app.state = AppState::new(&app.config)?;
    Ok(app)
}

/// Statements one anonymous query costs, and its body.
async fn cost(app: &TestApp, query: &str, variables: Value) -> anyhow::Result<(u64, Value)> {
    let before = app.statements();
    let body = app.query(query, variables).await?;
    Ok((app.statements() - before, body))
}

/// Renames a product (to a name that sorts first, so it stays on top of the page) the way the catalog projection commits: the row and
/// the projection's checkpoint in one transaction.
async fn commit_rename(app: &TestApp, slug: &str, name: &str, offset: i64) -> anyhow::Result<()> {
    let mut tx = app.pool.begin().await?;
    sqlx::query("UPDATE catalog_products SET name = $1 WHERE slug = $2")
        .bind(name)
        .bind(slug)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO projection_checkpoints (projection, partition, next_offset, log_epoch)
         VALUES ('catalog', 0, $1, $2)
         ON CONFLICT (projection, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
    )
    .bind(offset)
    .bind(Uuid::nil())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn a_repeated_page_costs_one_statement_until_the_catalog_projection_commits()
-> anyhow::Result<()> {
    let app = caching_app("cache_page").await?;
    let variables = json!({ "first": 5 });

    let (cold, first) = cost(&app, PAGE, variables.clone()).await?;
    let (warm, second) = cost(&app, PAGE, variables.clone()).await?;
    assert_eq!(first, second);
    // The version, then the page's three statements; then the version alone.
    assert_eq!((cold, warm), (4, 1));
    assert_eq!(app.state.cache.len(), 1);

    let slug = data(&first)?["products"]["edges"][0]["node"]["slug"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no product on the page: {first}"))?;
    commit_rename(&app, &slug, "AAA renamed by the projector", 7).await?;
    let (after_commit, third) = cost(&app, PAGE, variables.clone()).await?;
    assert_eq!(after_commit, 4, "a moved version runs the query again");
    assert_eq!(
        data(&third)?["products"]["edges"][0]["node"]["name"],
        "AAA renamed by the projector"
    );
    let (again, fourth) = cost(&app, PAGE, variables.clone()).await?;
    assert_eq!((again, &fourth), (1, &third));

    // A second commit at the same offset still changes the row's version (its xmin).
    commit_rename(&app, &slug, "AAA renamed twice", 7).await?;
    let (_, fifth) = cost(&app, PAGE, variables).await?;
    assert_eq!(
        data(&fifth)?["products"]["edges"][0]["node"]["name"],
        "AAA renamed twice"
    );
    Ok(())
}

#[tokio::test]
async fn signed_in_callers_other_fields_and_errors_are_never_cached() -> anyhow::Result<()> {
    let app = caching_app("cache_bypass").await?;
    let variables = json!({ "first": 5 });

    let customer = token(Uuid::new_v4(), "customer")?;
    for _ in 0..2 {
        let before = app.statements();
        let body = query_as(&app, &customer, PAGE, variables.clone()).await?;
        assert!(data(&body)?["products"]["edges"].is_array());
        assert_eq!(
            app.statements() - before,
            3,
            "a signed-in page runs every time"
        );
    }

    // `me` is not a catalog field: the document runs (and is refused) every time.
    let mixed = "{ products(first: 1) { totalCount } me { id } }";
    for _ in 0..2 {
        let body = app.query(mixed, json!({})).await?;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }

    // An error-free document only: a bad argument is answered, never kept.
    let refused = "{ product(slug: \"no-such-product\") { name } }";
    let body = app.query(refused, json!({})).await?;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(app.state.cache.len(), 0);
    Ok(())
}
