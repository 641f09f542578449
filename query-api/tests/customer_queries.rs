//! The storefront's signed-in queries: `me`, `order`, `cart` and `notifications`, each showing
//! a customer their own data only.

mod common;

use common::{
    TestApp,
    commerce::{
        ALICE, ALICE_CART, ALICE_OPEN, ALICE_PAID, BOB, GUEST_CART, STAFF, query_as, token,
    },
    data,
};
use serde_json::{Value, json};

const ORDER_FIELDS: &str = "
    id status placedAt paidAt couponCode paymentStatus cancelReason
    subtotal { formatted } discount { formatted } total { formatted }
    paid { formatted } refunded { formatted }
    shippingAddress { recipient line1 city postalCode country }
    lines { line sku quantity stockState unitPrice { formatted } lineTotal { formatted }
            product { name } }
    history { status occurredAt detail }
    payment { id status method amount { formatted } captured { formatted } }";

fn me_query() -> String {
    format!(
        "query Me($first: Int, $after: String) {{
           me {{
             id email displayName role active orderCount lifetimeValueMinor createdAt
             defaultAddressId
             addresses {{ addressId recipient line1 line2 city postalCode region country }}
             orders(first: $first, after: $after) {{
               totalCount
               pageInfo {{ hasNextPage endCursor }}
               edges {{ node {{ {ORDER_FIELDS} }} }}
             }}
           }}
         }}"
    )
}

const ORDER: &str = "query Order($id: ID!) { order(id: $id) { id status customer { email } } }";

const CART: &str = "query Cart($token: ID!) {
  cart(token: $token) {
    id customerId couponCode createdAt updatedAt
    lines { sku quantity unitPrice { formatted } lineTotal { formatted } product { name } }
  }
}";

const NOTIFICATIONS: &str = "query Mail($first: Int, $after: String) {
  notifications(first: $first, after: $after) {
    edges { node { id kind subject body orderId status createdAt sentAt } }
    pageInfo { hasNextPage }
  }
}";

/// The response with cursors replaced (they encode times and ids, already in the snapshot).
fn without_cursors(mut response: Value) -> Value {
    let info = &mut response["data"]["me"]["orders"]["pageInfo"];
    if info["endCursor"].is_string() {
        info["endCursor"] = json!("<cursor>");
    }
    response
}

async fn app(label: &str) -> anyhow::Result<TestApp> {
    let app = TestApp::seeded(label).await?;
    common::commerce::seed(&app.pool).await?;
    Ok(app)
}

#[tokio::test]
async fn a_customer_reads_their_profile_and_orders_with_lines_history_and_payment()
-> anyhow::Result<()> {
    let app = app("me_orders").await?;
    let alice = token(ALICE, "customer")?;
    let statements = app.statements();
    let me = query_as(&app, &alice, &me_query(), json!({})).await?;
    // me, its orders page, their lines, history, payments, line products, the count: each
    // relation is one statement however many orders there are.
    assert_eq!(app.statements() - statements, 7);
    insta::assert_json_snapshot!("alice_me", without_cursors(me));

    // Pages follow the cursor, newest order first.
    let first = query_as(&app, &alice, &me_query(), json!({"first": 1})).await?;
    let orders = &data(&first)?["me"]["orders"];
    assert_eq!(orders["edges"][0]["node"]["id"], ALICE_OPEN.to_string());
    assert_eq!(orders["pageInfo"]["hasNextPage"], true);
    let after = orders["pageInfo"]["endCursor"].clone();
    let second = query_as(
        &app,
        &alice,
        &me_query(),
        json!({"first": 1, "after": after}),
    )
    .await?;
    let orders = &data(&second)?["me"]["orders"];
    assert_eq!(orders["edges"][0]["node"]["id"], ALICE_PAID.to_string());
    assert_eq!(orders["pageInfo"]["hasNextPage"], false);

    let too_many = query_as(
        &app,
        &alice,
        "{ me { orders(first: 101) { edges { node { id } } } } }",
        json!({}),
    )
    .await?;
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    Ok(())
}

#[tokio::test]
async fn an_order_is_visible_to_its_owner_and_staff_only() -> anyhow::Result<()> {
    let app = app("order_owner").await?;
    let id = json!({"id": ALICE_PAID});
    let own = query_as(&app, &token(ALICE, "customer")?, ORDER, id.clone()).await?;
    insta::assert_json_snapshot!("alice_order", own);

    let other = query_as(&app, &token(BOB, "customer")?, ORDER, id.clone()).await?;
    insta::assert_json_snapshot!("bob_reads_alice_order", other);

    let staff = query_as(&app, &token(STAFF, "staff")?, ORDER, id.clone()).await?;
    assert_eq!(staff, own);

    let anonymous = app.query(ORDER, id).await?;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    Ok(())
}

#[tokio::test]
async fn a_cart_is_visible_to_its_owner_and_a_guest_cart_to_whoever_holds_its_token()
-> anyhow::Result<()> {
    let app = app("cart_owner").await?;
    let own = query_as(
        &app,
        &token(ALICE, "customer")?,
        CART,
        json!({"token": ALICE_CART}),
    )
    .await?;
    insta::assert_json_snapshot!("alice_cart", own);

    let other = query_as(
        &app,
        &token(BOB, "customer")?,
        CART,
        json!({"token": ALICE_CART}),
    )
    .await?;
    insta::assert_json_snapshot!("bob_reads_alice_cart", other);
    let anonymous = app.query(CART, json!({"token": ALICE_CART})).await?;
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "NOT_FOUND");

    let guest = app.query(CART, json!({"token": GUEST_CART})).await?;
    insta::assert_json_snapshot!("guest_cart", guest);
    let bob_guest = query_as(
        &app,
        &token(BOB, "customer")?,
        CART,
        json!({"token": GUEST_CART}),
    )
    .await?;
    assert_eq!(bob_guest, guest);
    Ok(())
}

#[tokio::test]
async fn customers_read_only_their_own_notifications() -> anyhow::Result<()> {
    let app = app("notifications_own").await?;
    let alice = query_as(&app, &token(ALICE, "customer")?, NOTIFICATIONS, json!({})).await?;
    insta::assert_json_snapshot!("alice_notifications", alice);

    let bob = query_as(&app, &token(BOB, "customer")?, NOTIFICATIONS, json!({})).await?;
    let kinds: Vec<&str> = data(&bob)?["notifications"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|edge| edge["node"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["order_cancelled"]);

    let page = query_as(
        &app,
        &token(ALICE, "customer")?,
        NOTIFICATIONS,
        json!({"first": 1}),
    )
    .await?;
    assert_eq!(
        data(&page)?["notifications"]["pageInfo"]["hasNextPage"],
        true
    );
    Ok(())
}
