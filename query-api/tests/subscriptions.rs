//! Subscriptions over graphql-ws (`graphql-transport-ws`): an owner follows an order through
//! its states as the orders projection commits them, and staff see every order change.

mod common;

use std::time::Duration;

use anyhow::Context as _;
use common::{TestApp, commerce::token};
use futures::{SinkExt, StreamExt};
use query_api::startup::router;
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

/// Serves `app` on a real socket (WebSockets need one) and returns its address.
async fn serve(app: &TestApp) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = router(app.state.clone());
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

/// The next protocol message, within a deadline.
async fn receive(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .context("no message within 10 s")?
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
    let url = serve(&app).await?;

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
    let url = serve(&app).await?;

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
