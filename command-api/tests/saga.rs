//! The checkout saga against the real broker: processors, one API, `agora-saga`, and orders and
//! payments sent as commands. Every assertion reads the events log under the log rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use runtime::testing::{ChildProcess, eventually};
use schemas::EventEnvelope;
use serde_json::{Value, json};
use support::{WriteSide, commands::send_command, counted_events, scan_log};
use uuid::Uuid;

const APPROVE: &str = "4242424242424242";
const DECLINE: &str = "4000000000000002";
const PROVIDER_ERROR: &str = "4000000000000119";

fn eur(minor: i64) -> Value {
    json!({ "amount_minor": minor, "currency": "EUR" })
}

fn spawn_saga(side: &WriteSide, ttl_ms: &str) -> ChildProcess {
    side.ns
        .spawn(
            "agora-saga",
            &[],
            &[
                ("AGORA_HEALTH_ADDR", "127.0.0.1:0"),
                ("AGORA_RESERVATION_TTL_MS", ttl_ms),
                ("AGORA_PROVIDER_BACKOFF_MS", "10"),
            ],
        )
        .unwrap()
}

/// Creates the product's SKUs through the API and receives `stock` of each.
async fn stock(side: &WriteSide, slug: &str, stock: &[(&str, u32)]) {
    let skus: Vec<&str> = stock.iter().map(|(sku, _)| *sku).collect();
    side.create_product(slug, &skus).await.unwrap();
    for (sku, quantity) in stock {
        let (status, body) = side
            .post(
                0,
                &format!("/inventory/{sku}/receive"),
                json!({ "quantity": quantity }),
                Some(&format!("receive-{sku}")),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "{body}");
    }
}

/// Places an order of `(sku, quantity)` lines at 15.00 EUR each; returns its id.
async fn place_order(side: &WriteSide, lines: &[(&str, u32)]) -> Uuid {
    let order_id = Uuid::new_v4();
    let lines: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (sku, quantity))| {
            json!({ "line": i + 1, "sku": sku, "product_id": Uuid::new_v4(),
                    "quantity": quantity, "unit_price": eur(1500) })
        })
        .collect();
    let subtotal: i64 = lines
        .iter()
        .map(|l| 1500 * l["quantity"].as_i64().unwrap())
        .sum();
    let command = json!({ "type": "PlaceOrder", "data": {
        "order_id": order_id, "customer_id": Uuid::new_v4(), "lines": lines,
        "subtotal": eur(subtotal), "discount": eur(0), "total": eur(subtotal),
        "shipping_address": { "recipient": "Ada", "line1": "1 Road", "city": "Paris", "country": "FR" }
    }});
    send_command(&side.ns, &format!("order-{order_id}"), command)
        .await
        .unwrap();
    order_id
}

/// Initiates a payment of `amount` for `order_id` with `card`; returns the payment id.
async fn pay(side: &WriteSide, order_id: Uuid, amount: i64, card: &str) -> Uuid {
    let payment_id = Uuid::new_v4();
    let command = json!({ "type": "InitiatePayment", "data": {
        "payment_id": payment_id, "order_id": order_id, "amount": eur(amount),
        "method": "card", "instrument_token": card, "idempotency_key": payment_id.to_string()
    }});
    send_command(&side.ns, &format!("payment-{payment_id}"), command)
        .await
        .unwrap();
    payment_id
}

/// Waits until `stream` holds an event of `event_type` (matching `filter`); returns the events
/// of `stream` at that moment.
async fn wait_for(
    side: &WriteSide,
    stream: &str,
    event_type: &str,
    filter: impl Fn(&EventEnvelope) -> bool,
) -> Vec<EventEnvelope> {
    eventually(
        Duration::from_secs(60),
        &format!("{event_type} on {stream}"),
        || {
            let ns = side.ns.clone();
            let stream = stream.to_string();
            let found = &filter;
            async move {
                let log = scan_log(&ns).await?;
                let events = counted_events(&log, &stream);
                Ok(events
                    .iter()
                    .any(|e| e.event_type == event_type && found(e))
                    .then_some(events))
            }
        },
    )
    .await
    .unwrap()
}

fn types(events: &[EventEnvelope]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

fn for_order(order_id: Uuid, line: u64) -> impl Fn(&EventEnvelope) -> bool {
    move |e: &EventEnvelope| {
        e.data["order_id"] == json!(order_id) && e.data["line"].as_u64() == Some(line)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_pays_or_rejects_and_releases_and_copes_with_declines_provider_errors_and_a_restart()
 {
    let side = WriteSide::start("saga-checkout", 1, 1).await.unwrap();
    let mut saga = spawn_saga(&side, "600000");
    stock(&side, "saga-goods", &[("SAGA-A", 10), ("SAGA-B", 1)]).await;

    // Happy path: reserved → confirmed → approved card → paid → stock committed.
    let paid_order = place_order(&side, &[("SAGA-A", 2)]).await;
    let order_stream = format!("order-{paid_order}");
    let events = wait_for(&side, &order_stream, "OrderConfirmed", |_| true).await;
    assert_eq!(
        types(&events),
        ["OrderPlaced", "OrderLineReserved", "OrderConfirmed"]
    );
    let placed_event = events[0].event_id;
    let payment_id = pay(&side, paid_order, 3000, APPROVE).await;
    let events = wait_for(&side, &order_stream, "OrderPaid", |_| true).await;
    assert_eq!(events.last().unwrap().data["payment_id"], json!(payment_id));
    let inventory = wait_for(
        &side,
        "inventory-SAGA-A",
        "StockCommitted",
        for_order(paid_order, 1),
    )
    .await;
    let reserved: Vec<&EventEnvelope> = inventory
        .iter()
        .filter(|e| e.event_type == "StockReserved" && for_order(paid_order, 1)(e))
        .collect();
    assert_eq!(reserved.len(), 1, "one reservation per line");
    assert_eq!(
        reserved[0].command_id,
        Uuid::new_v5(&placed_event, b"reserve-line-1"),
        "saga command ids derive from the causing event"
    );
    assert_eq!(reserved[0].actor, "system:checkout-saga");
    let payment = counted_events(
        &scan_log(&side.ns).await.unwrap(),
        &format!("payment-{payment_id}"),
    );
    assert_eq!(
        types(&payment),
        ["PaymentInitiated", "PaymentAuthorized", "PaymentCaptured"]
    );

    // One line out of stock: rejected, and the other line's reservation released.
    let rejected_order = place_order(&side, &[("SAGA-A", 1), ("SAGA-B", 5)]).await;
    let events = wait_for(
        &side,
        &format!("order-{rejected_order}"),
        "OrderRejected",
        |_| true,
    )
    .await;
    let rejection = events
        .iter()
        .find(|e| e.event_type == "OrderRejected")
        .unwrap();
    assert_eq!(
        rejection.data["reason"],
        "out_of_stock",
        "{:?}",
        types(&events)
    );
    let inventory = wait_for(
        &side,
        "inventory-SAGA-A",
        "ReservationReleased",
        for_order(rejected_order, 1),
    )
    .await;
    let released = inventory
        .iter()
        .find(|e| e.event_type == "ReservationReleased" && for_order(rejected_order, 1)(e))
        .unwrap();
    assert_eq!(
        released.data["reserved"], 0,
        "nothing stays reserved on SAGA-A once the paid order committed and the rejected one released"
    );
    let refused = counted_events(&scan_log(&side.ns).await.unwrap(), "inventory-SAGA-B");
    assert!(
        refused
            .iter()
            .any(|e| e.event_type == "StockReservationRejected"),
        "{:?}",
        types(&refused)
    );

    // Declined card: the payment is declined, the order stays confirmed.
    let declined_order = place_order(&side, &[("SAGA-A", 1)]).await;
    let declined_stream = format!("order-{declined_order}");
    wait_for(&side, &declined_stream, "OrderConfirmed", |_| true).await;
    let declined_payment = pay(&side, declined_order, 1500, DECLINE).await;
    let payment = wait_for(
        &side,
        &format!("payment-{declined_payment}"),
        "PaymentDeclined",
        |_| true,
    )
    .await;
    assert_eq!(payment.last().unwrap().data["reason"], "card_declined");
    let order = counted_events(&scan_log(&side.ns).await.unwrap(), &declined_stream);
    assert_eq!(
        types(&order),
        ["OrderPlaced", "OrderLineReserved", "OrderConfirmed"],
        "a declined payment leaves the order confirmed"
    );

    // A provider that keeps failing: retried, then the payment fails; the order stays confirmed.
    let failing = pay(&side, declined_order, 1500, PROVIDER_ERROR).await;
    let payment = wait_for(
        &side,
        &format!("payment-{failing}"),
        "PaymentFailed",
        |_| true,
    )
    .await;
    assert_eq!(types(&payment), ["PaymentInitiated", "PaymentFailed"]);
    assert!(
        payment[1].data["reason"]
            .as_str()
            .unwrap()
            .starts_with("provider_unavailable"),
        "{}",
        payment[1].data
    );

    // Positions are stored once the commands are acknowledged.
    let pool = sqlx::PgPool::connect(&side.ns.database_url).await.unwrap();
    let (rows, offsets): (i64, Option<i64>) =
        sqlx::query_as("SELECT count(*), sum(next_offset)::bigint FROM saga_checkpoints")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(rows > 0 && offsets.unwrap_or(0) > 0, "{rows} checkpoints");

    // Killed and restarted, the saga resumes from its checkpoints: an order placed while it was
    // down is confirmed, and nothing earlier is reserved or committed twice.
    saga.kill9().unwrap();
    let later_order = place_order(&side, &[("SAGA-A", 1)]).await;
    let _saga = spawn_saga(&side, "600000");
    wait_for(
        &side,
        &format!("order-{later_order}"),
        "OrderConfirmed",
        |_| true,
    )
    .await;
    let inventory = counted_events(&scan_log(&side.ns).await.unwrap(), "inventory-SAGA-A");
    for (event_type, order_id) in [
        ("StockReserved", paid_order),
        ("StockCommitted", paid_order),
    ] {
        let count = inventory
            .iter()
            .filter(|e| e.event_type == event_type && for_order(order_id, 1)(e))
            .count();
        assert_eq!(count, 1, "{event_type} for the paid order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_order_is_cancelled_when_its_reservation_expires_and_the_stock_comes_back() {
    let mut side = WriteSide::start("saga-expiry", 0, 1).await.unwrap();
    side.start_processor_with(&[("AGORA_EXPIRY_TICK_MS", "200")])
        .unwrap();
    let _saga = spawn_saga(&side, "1500");
    stock(&side, "saga-expiring", &[("SAGA-X", 3)]).await;

    let order_id = place_order(&side, &[("SAGA-X", 2)]).await;
    let order_stream = format!("order-{order_id}");
    let events = wait_for(&side, &order_stream, "OrderCancelled", |_| true).await;
    assert_eq!(
        types(&events),
        [
            "OrderPlaced",
            "OrderLineReserved",
            "OrderConfirmed",
            "OrderCancelled"
        ]
    );
    assert_eq!(events.last().unwrap().data["reason"], "payment_timeout");
    let inventory = counted_events(&scan_log(&side.ns).await.unwrap(), "inventory-SAGA-X");
    let expired: Vec<&EventEnvelope> = inventory
        .iter()
        .filter(|e| e.event_type == "ReservationExpired")
        .collect();
    assert_eq!(expired.len(), 1, "{:?}", types(&inventory));
    assert_eq!(expired[0].data["order_id"], json!(order_id));
    assert_eq!(
        expired[0].data["reserved"], 0,
        "the stock is available again"
    );
    assert_eq!(expired[0].data["on_hand"], 3);
    assert!(
        !inventory.iter().any(|e| e.event_type == "StockCommitted"),
        "nothing was committed"
    );
}
