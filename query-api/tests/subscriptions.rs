//! Subscriptions over graphql-ws (`graphql-transport-ws`): an owner follows an order through
//! its states as the orders projection commits them, and staff see every order change; and,
//! end to end, the owner follows an order checked out through command-api as the real
//! projector projects what the saga and staff do to it.

mod common;

use std::time::Duration;

use anyhow::Context as _;
use common::{
    TestApp,
    commerce::token,
    write_side::{WriteSide, read},
};
use futures::{SinkExt, StreamExt};
use query_api::startup::{AppState, router};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};
use uuid::Uuid;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

const ALICE: Uuid = Uuid::from_u128(0x5A11CE);
const MALLORY: Uuid = Uuid::from_u128(0x5BAD);
const STAFF: Uuid = Uuid::from_u128(0x55AFF);
const ORDER: Uuid = Uuid::from_u128(0x50A1);

/// Serves `state` on a real socket (WebSockets need one) and returns its address.
async fn serve(state: &AppState) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = router(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("ws://{addr}/graphql/ws"))
}

/// Opens a graphql-transport-ws connection as the bearer of `bearer`.
async fn connect(url: &str, bearer: &str) -> anyhow::Result<Socket> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = connect_async(request).await?;
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {bearer}")}});
    socket.send(Message::text(init.to_string())).await?;
    let ack = receive(&mut socket).await?;
    anyhow::ensure!(ack["type"] == "connection_ack", "not acknowledged: {ack}");
    Ok(socket)
}

/// Starts subscription `id`.
async fn subscribe(
    socket: &mut Socket,
    id: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<()> {
    let message =
        json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}});
    socket.send(Message::text(message.to_string())).await?;
    Ok(())
}

/// The next protocol message, within a deadline (generous: end to end, the saga's reserve,
/// authorize and capture round trips come before some messages).
async fn receive(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no message within 30 s")?
            .context("socket closed")??;
        if let Message::Text(text) = message {
            return Ok(serde_json::from_str(text.as_str())?);
        }
    }
}

/// The `data` of the next `next` message.
async fn next_data(socket: &mut Socket) -> anyhow::Result<Value> {
    let message = receive(socket).await?;
    anyhow::ensure!(message["type"] == "next", "expected next, got {message}");
    Ok(message["payload"]["data"].clone())
}

async fn place(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO orders (order_id, customer_id, status, subtotal_minor, discount_minor,
             total_minor, currency, shipping_address, placed_at, updated_at, stream_version)
         VALUES ($1, $2, 'placed', 2500, 0, 2500, 'EUR', '{}'::jsonb, now(), now(), 1)",
    )
    .bind(ORDER)
    .bind(ALICE)
    .execute(pool)
    .await?;
    Ok(())
}

/// Commits a status change the way the orders projection does: the row and the announcement
/// in one transaction (the announcement statement is the projector's, `orders::write::notify`).
async fn commit_status(pool: &PgPool, status: &str, version: i64) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE orders SET status = $2, stream_version = $3, updated_at = now() WHERE order_id = $1")
        .bind(ORDER)
        .bind(status)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "SELECT pg_notify($2, json_build_object(
                    'order_id', order_id, 'customer_id', customer_id, 'status', status,
                    'version', stream_version, 'schema', current_schema())::text)
         FROM orders WHERE order_id = ANY($1)",
    )
    .bind(vec![ORDER])
    .bind("agora_orders")
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

const FOLLOW: &str = "subscription($id: ID!) { orderUpdated(id: $id) { orderId status version total { formatted } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sees_their_order_confirmed_paid_and_shipped_and_staff_see_every_change()
-> anyhow::Result<()> {
    let app = TestApp::migrated("subscriptions_order").await?;
    place(&app.pool).await?;
    let url = serve(&app.state).await?;

    let mut alice = connect(&url, &token(ALICE, "customer")?).await?;
    subscribe(&mut alice, "1", FOLLOW, json!({"id": ORDER})).await?;
    let mut staff = connect(&url, &token(STAFF, "staff")?).await?;
    subscribe(
        &mut staff,
        "all",
        "subscription { orders { orderId status } }",
        json!({}),
    )
    .await?;

    // The owner first gets the order as it stands.
    let first = next_data(&mut alice).await?;
    assert_eq!(first["orderUpdated"]["status"], "placed");
    assert_eq!(first["orderUpdated"]["orderId"], ORDER.to_string());

    let mut seen = Vec::new();
    for (version, status) in [(2, "confirmed"), (3, "paid"), (4, "shipped")] {
        commit_status(&app.pool, status, version).await?;
        let update = next_data(&mut alice).await?;
        assert_eq!(update["orderUpdated"]["version"], version);
        seen.push(
            update["orderUpdated"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        let staff_update = next_data(&mut staff).await?;
        assert_eq!(
            staff_update["orders"],
            json!({"orderId": ORDER.to_string(), "status": status})
        );
    }
    assert_eq!(seen, ["confirmed", "paid", "shipped"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_customers_cannot_follow_an_order_and_customers_cannot_watch_all_orders()
-> anyhow::Result<()> {
    let app = TestApp::migrated("subscriptions_denied").await?;
    place(&app.pool).await?;
    let url = serve(&app.state).await?;

    let mut mallory = connect(&url, &token(MALLORY, "customer")?).await?;
    subscribe(&mut mallory, "1", FOLLOW, json!({"id": ORDER})).await?;
    let refused = receive(&mut mallory).await?;
    // Resolver errors arrive as a `next` with errors (then `complete`), like a query's.
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );

    let complete = receive(&mut mallory).await?;
    assert_eq!(complete["type"], "complete", "{complete}");

    subscribe(
        &mut mallory,
        "2",
        "subscription { orders { orderId } }",
        json!({}),
    )
    .await?;
    let forbidden = receive(&mut mallory).await?;
    assert_eq!(
        forbidden["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{forbidden}"
    );

    // A bad token refuses the connection itself.
    let mut request = url.as_str().into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = connect_async(request).await?;
    let init = json!({"type": "connection_init", "payload": {"Authorization": "Bearer nonsense"}});
    socket.send(Message::text(init.to_string())).await?;
    let closed = tokio::time::timeout(Duration::from_secs(10), socket.next()).await?;
    assert!(
        matches!(closed, Some(Ok(Message::Close(_))) | None | Some(Err(_))),
        "{closed:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_follows_a_checked_out_order_through_confirmed_paid_and_shipped_as_the_projector_commits_them()
-> anyhow::Result<()> {
    let mut side = WriteSide::start("qa-subscription-e2e").await?;
    let (product, published) = side.stocked_product("sub-lamp", "SUB-LAMP", 3).await?;
    side.for_sale(&product, &published).await?;
    let customer = side.register("follower@example.com").await?;
    let checkout = side.buy(&customer, "SUB-LAMP", 1).await?;
    let order_id = checkout.body["order_id"]
        .as_str()
        .context("no order id")?
        .to_string();
    // The order is in the read model once this answers (read-your-writes), so the
    // subscription finds it; without the saga it stays `placed` until we start it.
    let placed = read(
        &side.state,
        "query($id: ID!) { order(id: $id) { status } }",
        json!({ "id": order_id }),
        Some(&customer.token),
        Some(&checkout.token),
    )
    .await?;
    assert_eq!(placed["data"]["order"]["status"], "placed", "{placed}");

    let url = serve(&side.state).await?;
    let mut owner = connect(&url, &customer.token).await?;
    subscribe(&mut owner, "1", FOLLOW, json!({ "id": order_id })).await?;
    let first = next_data(&mut owner).await?;
    assert_eq!(first["orderUpdated"]["status"], "placed", "{first}");

    // Each step waits for the push of the previous one, so no two changes can reach the
    // subscriber in one notification (which would show only the later state).
    side.start_saga()?;
    let mut seen = vec![first];
    seen.push(next_data(&mut owner).await?);
    side.post(
        &format!("/orders/{order_id}/payments"),
        &customer.token,
        json!({ "instrument_token": "4242424242424242" }),
        None,
    )
    .await?;
    seen.push(next_data(&mut owner).await?);
    let staff = side.staff_token.clone();
    side.command(
        &format!("/orders/{order_id}/ship"),
        &staff,
        json!({ "carrier": "DHL", "tracking_number": "SUB-0001" }),
        None,
    )
    .await?;
    seen.push(next_data(&mut owner).await?);

    let statuses: Vec<&str> = seen
        .iter()
        .map(|data| data["orderUpdated"]["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        statuses,
        ["placed", "confirmed", "paid", "shipped"],
        "{seen:?}"
    );
    let versions: Vec<i64> = seen
        .iter()
        .map(|data| data["orderUpdated"]["version"].as_i64().unwrap_or_default())
        .collect();
    assert!(
        versions.windows(2).all(|pair| pair[0] < pair[1]),
        "{versions:?}"
    );
    Ok(())
}
