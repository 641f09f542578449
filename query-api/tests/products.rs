//! `products` and `product` against a real Postgres read model.

mod common;

use common::{TestApp, catalog, data, product_id, product_names};
use serde_json::{Value, json};

const LISTING: &str = r#"
query Listing($first: Int, $after: String, $filter: ProductFilter) {
  products(first: $first, after: $after, filter: $filter) {
    edges { cursor node { name slug category brand status priceRange { min { formatted } max { formatted } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"#;

const NAMES: &str = r#"
query Names($first: Int, $after: String, $filter: ProductFilter) {
  products(first: $first, after: $after, filter: $filter) {
    edges { node { name } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Every name of a listing, page by page, following `endCursor`.
async fn walk(app: &TestApp, first: i32, filter: Value) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut after = Value::Null;
    for _ in 0..100 {
        let response = app
            .query(
                NAMES,
                json!({"first": first, "after": after, "filter": filter}),
            )
            .await?;
        let data = data(&response)?;
        names.extend(product_names(data));
        let page_info = &data["products"]["pageInfo"];
        if page_info["hasNextPage"] != json!(true) {
            return Ok(names);
        }
        after = page_info["endCursor"].clone();
    }
    anyhow::bail!("listing did not end after 100 pages")
}

/// The response with every cursor replaced by a placeholder.
fn without_cursors(mut response: Value) -> Value {
    let products = &mut response["data"]["products"];
    if let Some(edges) = products["edges"].as_array_mut() {
        for edge in edges {
            edge["cursor"] = json!("<cursor>");
        }
    }
    for key in ["startCursor", "endCursor"] {
        products["pageInfo"][key] = json!("<cursor>");
    }
    response
}

#[tokio::test]
async fn products_are_listed_by_name_in_pages_with_opaque_cursors() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_pages").await?;
    let filter = json!({"category": "apparel"});

    let first = app
        .query(LISTING, json!({"first": 2, "filter": filter}))
        .await?;
    insta::assert_json_snapshot!("apparel_page_1", first);

    let after = data(&first)?["products"]["pageInfo"]["endCursor"].clone();
    let second = app
        .query(
            LISTING,
            json!({"first": 2, "after": after, "filter": filter}),
        )
        .await?;
    insta::assert_json_snapshot!("apparel_page_2", second);

    // Walking every page with any page size yields each published product once, in order.
    for size in [1, 7, 100] {
        assert_eq!(
            walk(&app, size, json!({})).await?,
            catalog::published_names()
        );
    }
    Ok(())
}

#[tokio::test]
async fn products_are_filtered_by_category_and_brand() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_filters").await?;
    let response = app
        .query(
            LISTING,
            json!({"filter": {"category": "accessories", "brand": "Nordkap"}}),
        )
        .await?;
    // The deleted "Discontinued Wool Hat" matches too but is not listed.
    insta::assert_json_snapshot!("accessories_by_nordkap", response);

    let none = app
        .query(
            NAMES,
            json!({"filter": {"category": "accessories", "brand": "Plain"}}),
        )
        .await?;
    assert_eq!(product_names(data(&none)?), Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn search_finds_products_by_stemmed_words_ranked_by_where_they_match() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_search").await?;
    let response = app
        .query(LISTING, json!({"filter": {"search": "wool"}}))
        .await?;
    // Name matches (scarf, socks) outrank a description match (linen shirt). Cursors hold
    // Postgres's rank values, so they stay out of the snapshot.
    insta::assert_json_snapshot!("search_wool", without_cursors(response));

    let refined = app
        .query(
            NAMES,
            json!({"filter": {"search": "merino -socks", "category": "accessories"}}),
        )
        .await?;
    assert_eq!(product_names(data(&refined)?), vec!["Alpine Wool Scarf"]);

    // "sneakers" finds "Sneaker" through English stemming.
    let stemmed = app
        .query(NAMES, json!({"filter": {"search": "sneakers"}}))
        .await?;
    assert_eq!(product_names(data(&stemmed)?), vec!["Canvas Sneaker"]);

    // Paging through ranked results yields the same order as one page.
    let one_page = walk(&app, 100, json!({"search": "wool"})).await?;
    assert_eq!(walk(&app, 1, json!({"search": "wool"})).await?, one_page);
    Ok(())
}

#[tokio::test]
async fn unpublished_products_are_hidden_from_anonymous_callers() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_hidden").await?;
    let all = walk(&app, 100, json!({})).await?;
    assert!(
        !all.iter()
            .any(|name| name.contains("Prototype") || name.contains("Discontinued"))
    );

    let by_slug = app
        .query(
            "{ product(slug: \"secret-prototype-boot\") { name } }",
            json!({}),
        )
        .await?;
    insta::assert_json_snapshot!("draft_by_slug", by_slug);

    let by_id = app
        .query(
            "query($id: ID) { product(id: $id) { name } }",
            json!({"id": product_id(8)}),
        )
        .await?;
    assert_eq!(by_id["errors"][0]["extensions"]["code"], "NOT_FOUND");

    let drafts = app
        .query(NAMES, json!({"filter": {"status": "DRAFT"}}))
        .await?;
    insta::assert_json_snapshot!("draft_listing_forbidden", drafts);
    Ok(())
}

const PRODUCT: &str = r#"
query Product($id: ID, $slug: String) {
  product(id: $id, slug: $slug) {
    id slug name description category brand status
    attributes { name value }
    priceRange { min { amountMinor currency formatted } max { amountMinor currency formatted } }
    variants {
      sku name retired
      price { amountMinor currency formatted }
      attributes { name value }
      availability { sku onHand reserved available lowStockThreshold lowStock updatedAt }
      product { slug }
    }
  }
}"#;

#[tokio::test]
async fn a_product_is_found_by_id_or_by_slug_with_variants_and_availability() -> anyhow::Result<()>
{
    let app = TestApp::seeded("product_lookup").await?;
    let by_id = app.query(PRODUCT, json!({"id": product_id(2)})).await?;
    insta::assert_json_snapshot!("sneaker", by_id);

    let by_slug = app
        .query(PRODUCT, json!({"slug": "canvas-sneaker"}))
        .await?;
    assert_eq!(by_slug, by_id);

    // A product without variants has no price range.
    let jacket = app.query(PRODUCT, json!({"slug": "rain-jacket"})).await?;
    assert_eq!(data(&jacket)?["product"]["priceRange"], Value::Null);
    assert_eq!(data(&jacket)?["product"]["variants"], json!([]));
    Ok(())
}

#[tokio::test]
async fn product_lookups_with_bad_arguments_are_refused_with_a_code() -> anyhow::Result<()> {
    let app = TestApp::seeded("product_errors").await?;
    let cases = [
        (
            "both_id_and_slug",
            json!({"id": product_id(1), "slug": "alpine-wool-scarf"}),
        ),
        ("neither_id_nor_slug", json!({})),
        ("id_not_a_uuid", json!({"id": "42"})),
        ("unknown_slug", json!({"slug": "no-such-product"})),
    ];
    for (name, variables) in cases {
        let response = app
            .query(
                "query($id: ID, $slug: String) { product(id: $id, slug: $slug) { name } }",
                variables,
            )
            .await?;
        insta::assert_json_snapshot!(name, response);
    }
    Ok(())
}

#[tokio::test]
async fn page_sizes_above_the_cap_and_foreign_cursors_are_refused() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_bad_pages").await?;
    let statements = app.statements();
    let too_many = app.query(NAMES, json!({"first": 101})).await?;
    insta::assert_json_snapshot!("first_above_cap", too_many);

    let negative = app.query(NAMES, json!({"first": -1})).await?;
    assert_eq!(
        negative["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );

    let garbage = app
        .query(NAMES, json!({"after": "bm90IGEgY3Vyc29y"}))
        .await?;
    insta::assert_json_snapshot!("foreign_cursor", garbage);

    // A cursor from a plain listing does not fit a search, whose order differs.
    let plain = app.query(NAMES, json!({"first": 1})).await?;
    let cursor = data(&plain)?["products"]["pageInfo"]["endCursor"].clone();
    let mixed = app
        .query(
            NAMES,
            json!({"after": cursor, "filter": {"search": "wool"}}),
        )
        .await?;
    assert_eq!(mixed["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // Only the plain listing reached the database.
    assert_eq!(app.statements() - statements, 1);
    Ok(())
}

const SORTED: &str = r#"
query Sorted($first: Int, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    edges { node { name } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Every name of a sorted listing, page by page.
async fn walk_sorted(
    app: &TestApp,
    first: i32,
    filter: Value,
    sort: &str,
) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut after = Value::Null;
    for _ in 0..100 {
        let variables = json!({"first": first, "after": after, "filter": filter, "sort": sort});
        let response = app.query(SORTED, variables).await?;
        let data = data(&response)?;
        names.extend(product_names(data));
        if data["products"]["pageInfo"]["hasNextPage"] != json!(true) {
            return Ok(names);
        }
        after = data["products"]["pageInfo"]["endCursor"].clone();
    }
    anyhow::bail!("listing did not end after 100 pages")
}

/// Names of one page of `filter`.
async fn names_of(app: &TestApp, filter: Value) -> anyhow::Result<Vec<String>> {
    let response = app
        .query(NAMES, json!({"first": 100, "filter": filter}))
        .await?;
    Ok(product_names(data(&response)?))
}

#[tokio::test]
async fn products_are_filtered_by_attributes_price_and_stock() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_storefront_filters").await?;

    // Size is a variant attribute, material a product one; either counts.
    let medium = names_of(
        &app,
        json!({"attributes": [{"name": "size", "values": ["M"]}]}),
    )
    .await?;
    let mut expected: Vec<String> = (1..=20).map(|i| format!("Basic Tee {i:02}")).collect();
    expected.extend(["Cotton Crew Tee".to_string(), "Linen Shirt".to_string()]);
    assert_eq!(medium, expected);
    let wool = names_of(
        &app,
        json!({"attributes": [{"name": "material", "values": ["wool", "linen"]}],
               "category": "accessories"}),
    )
    .await?;
    assert_eq!(wool, vec!["Alpine Wool Scarf", "Wool Hiking Socks"]);

    // Some active variant in the range (the sneaker's retired EU 44 does not count).
    let mid_priced = names_of(&app, json!({"minPriceMinor": 5000, "maxPriceMinor": 7000})).await?;
    assert_eq!(mid_priced, vec!["Canvas Sneaker", "Linen Shirt"]);
    let over_seventy = names_of(&app, json!({"minPriceMinor": 7001})).await?;
    assert_eq!(over_seventy, vec!["Canvas Sneaker"]);

    // The rain jacket has nothing to sell.
    let in_stock = names_of(&app, json!({"category": "apparel", "inStock": true})).await?;
    assert_eq!(in_stock, vec!["Cotton Crew Tee", "Linen Shirt"]);

    for (filter, what) in [
        (
            json!({"minPriceMinor": 10, "maxPriceMinor": 5}),
            "min above max",
        ),
        (json!({"minPriceMinor": -1}), "negative price"),
        (
            json!({"attributes": [{"name": "size", "values": []}]}),
            "no values",
        ),
    ] {
        let refused = app.query(NAMES, json!({"filter": filter})).await?;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{what}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn products_are_sorted_by_price_or_age_across_pages() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_sorting").await?;
    let apparel = json!({"category": "apparel"});
    // Products without a price come last either way.
    assert_eq!(
        walk_sorted(&app, 1, apparel.clone(), "PRICE_ASC").await?,
        vec!["Cotton Crew Tee", "Linen Shirt", "Rain Jacket"]
    );
    assert_eq!(
        walk_sorted(&app, 1, apparel, "PRICE_DESC").await?,
        vec!["Linen Shirt", "Cotton Crew Tee", "Rain Jacket"]
    );

    // Every order pages through every published product exactly once, in the same order as
    // one page.
    for sort in ["NAME", "PRICE_ASC", "PRICE_DESC", "NEWEST"] {
        let whole = walk_sorted(&app, 100, json!({}), sort).await?;
        assert_eq!(
            walk_sorted(&app, 3, json!({}), sort).await?,
            whole,
            "{sort}"
        );
        let mut sorted = whole.clone();
        sorted.sort();
        assert_eq!(sorted.len(), catalog::published_names().len(), "{sort}");
    }
    // Every product of the test catalog was created at the same time: newest breaks ties by
    // id, highest first.
    let newest = walk_sorted(&app, 100, json!({}), "NEWEST").await?;
    assert_eq!(newest[..2], ["Basic Tee 20", "Basic Tee 19"]);

    // A cursor belongs to its order; relevance needs a search.
    let by_name = app
        .query(SORTED, json!({"first": 1, "sort": "NAME"}))
        .await?;
    let cursor = data(&by_name)?["products"]["pageInfo"]["endCursor"].clone();
    let mixed = app
        .query(SORTED, json!({"after": cursor, "sort": "PRICE_ASC"}))
        .await?;
    assert_eq!(mixed["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let relevance = app.query(SORTED, json!({"sort": "RELEVANCE"})).await?;
    assert_eq!(
        relevance["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    Ok(())
}

const FACETS: &str = r#"
query Facets($filter: ProductFilter) {
  products(first: 1, filter: $filter) {
    totalCount
    facets {
      categories { value count }
      brands { value count }
      attributes { name values { value count } }
      prices { min { formatted } max { formatted } count }
    }
  }
}"#;

#[tokio::test]
async fn facets_count_the_filtered_products_by_category_brand_attribute_and_price()
-> anyhow::Result<()> {
    let app = TestApp::seeded("products_facets").await?;
    let search = app
        .query(FACETS, json!({"filter": {"search": "wool"}}))
        .await?;
    insta::assert_json_snapshot!("facets_search_wool", search);

    // Every category count adds up to the listing's total.
    let all = app.query(FACETS, json!({})).await?;
    let all = data(&all)?;
    let sum: i64 = all["products"]["facets"]["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["count"].as_i64())
        .sum();
    assert_eq!(Some(sum), all["products"]["totalCount"].as_i64());
    Ok(())
}

#[tokio::test]
async fn categories_are_listed_with_the_products_a_caller_may_see() -> anyhow::Result<()> {
    let app = TestApp::seeded("products_categories").await?;
    // The test catalog's categories are plain names, so the tree is flat; the draft boot and
    // the deleted hat are not counted.
    let categories = app
        .query(
            "{ categories { name path productCount children { name } } }",
            json!({}),
        )
        .await?;
    insta::assert_json_snapshot!("categories", categories);
    Ok(())
}
