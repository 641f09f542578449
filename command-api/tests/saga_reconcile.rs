//! The checkout saga on a new log epoch (as after a restore): it folds the log without reacting
//! and reconciles the checkouts in flight once. Orders are left in several in-flight states by
//! killing the saga and driving some steps by hand, a new log epoch is written the way
//! `restore` does, and a fresh saga must finish every one of them, send nothing for finished
//! ones, and cause every effect once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use command_api::wire::CommandEnvelope;
use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
};
use runtime::testing::{ChildProcess, TestNamespace, eventually};
use schemas::EventEnvelope;
use serde_json::{Value, json};
use support::{WriteSide, commands::send_command, counted_events, scan_log};
use uuid::Uuid;

const APPROVE: &str = "4242424242424242";
const SKU: &str = "RECON-A";
const SCARCE: &str = "RECON-B";

fn eur(minor: i64) -> Value {
    json!({ "amount_minor": minor, "currency": "EUR" })
}

fn spawn_saga(side: &WriteSide) -> ChildProcess {
    side.ns
        .spawn(
            "agora-saga",
            &[],
            &[
                ("AGORA_HEALTH_ADDR", "127.0.0.1:0"),
                ("AGORA_RESERVATION_TTL_MS", "600000"),
                ("AGORA_PROVIDER_BACKOFF_MS", "10"),
            ],
        )
        .unwrap()
}

async fn send(side: &WriteSide, stream: &str, kind: &str, data: Value) {
    send_command(&side.ns, stream, json!({ "type": kind, "data": data }))
        .await
        .unwrap();
}

/// Places a one-line order of `quantity` × `sku` at 15.00 EUR; returns its id.
async fn place_order(side: &WriteSide, sku: &str, quantity: u32) -> Uuid {
    let order_id = Uuid::new_v4();
    let total = 1500 * i64::from(quantity);
    send(side, &format!("order-{order_id}"), "PlaceOrder", json!({
        "order_id": order_id, "customer_id": Uuid::new_v4(),
        "lines": [{ "line": 1, "sku": sku, "product_id": Uuid::new_v4(),
                    "quantity": quantity, "unit_price": eur(1500) }],
        "subtotal": eur(total), "discount": eur(0), "total": eur(total),
        "shipping_address": { "recipient": "Ada", "line1": "1 Road", "city": "Paris", "country": "FR" }
    }))
    .await;
    order_id
}

/// Initiates a card payment of 15.00 EUR for `order_id`; returns the payment id.
async fn pay(side: &WriteSide, order_id: Uuid) -> Uuid {
    let payment_id = Uuid::new_v4();
    send(
        side,
        &format!("payment-{payment_id}"),
        "InitiatePayment",
        json!({
            "payment_id": payment_id, "order_id": order_id, "amount": eur(1500),
            "method": "card", "instrument_token": APPROVE, "idempotency_key": payment_id.to_string()
        }),
    )
    .await;
    payment_id
}

/// Waits until `stream` holds an event of `event_type`.
async fn wait_for(side: &WriteSide, stream: &str, event_type: &str) {
    eventually(
        Duration::from_secs(90),
        &format!("{event_type} on {stream}"),
        || async {
            let log = scan_log(&side.ns).await?;
            let events = counted_events(&log, stream);
            Ok(events
                .iter()
                .any(|e| e.event_type == event_type)
                .then_some(()))
        },
    )
    .await
    .unwrap();
}

/// Every command envelope on the commands topic, read until it goes quiet.
async fn commands(ns: &TestNamespace) -> Vec<CommandEnvelope> {
    let kafka = ns.kafka.clone();
    tokio::task::spawn_blocking(move || {
        let topic = kafka.topics().commands;
        let partitions = runtime::kafka::partition_count(&kafka, &topic).unwrap();
        let consumer: BaseConsumer = runtime::kafka::assigned_consumer_config(&kafka)
            .create()
            .unwrap();
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions {
            assignment
                .add_partition_offset(&topic, partition, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&assignment).unwrap();
        let mut envelopes = Vec::new();
        let mut wait = Duration::from_secs(5);
        while let Some(message) = consumer.poll(wait) {
            wait = Duration::from_millis(1500);
            let message = message.unwrap();
            envelopes.push(serde_json::from_slice(message.payload().unwrap()).unwrap());
        }
        envelopes
    })
    .await
    .unwrap()
}

/// Every event of the log that concerns `order_id`: its own, its payments', and inventory's.
fn events_of(log: &[runtime::log::LogItem], order_id: Uuid) -> Vec<EventEnvelope> {
    let mut payments = HashSet::new();
    let all: Vec<EventEnvelope> = log
        .iter()
        .filter_map(|item| match &item.kind {
            runtime::log::ItemKind::Counted(runtime::log::Counted::Commit(c)) => {
                Some(c.events.clone())
            }
            _ => None,
        })
        .flatten()
        .collect();
    for event in &all {
        if event.event_type == "PaymentInitiated" && event.data["order_id"] == json!(order_id) {
            payments.insert(event.stream.clone());
        }
    }
    all.into_iter()
        .filter(|e| {
            e.stream == format!("order-{order_id}")
                || payments.contains(&e.stream)
                || e.data["order_id"] == json!(order_id)
        })
        .collect()
}

fn count(events: &[EventEnvelope], event_type: &str) -> usize {
    events.iter().filter(|e| e.event_type == event_type).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saga_on_a_new_log_epoch_finishes_every_checkout_in_flight_once_and_leaves_finished_ones_alone()
 {
    let side = WriteSide::start("saga-reconcile", 1, 1).await.unwrap();
    let mut saga = spawn_saga(&side);
    side.create_product("reconcile-goods", &[SKU, SCARCE])
        .await
        .unwrap();
    for (sku, quantity) in [(SKU, 20), (SCARCE, 1)] {
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

    // Finished while the first saga runs: paid and committed; rejected and released.
    let finished = place_order(&side, SKU, 1).await;
    wait_for(&side, &format!("order-{finished}"), "OrderConfirmed").await;
    pay(&side, finished).await;
    wait_for(&side, &format!("order-{finished}"), "OrderPaid").await;
    let rejected = place_order(&side, SCARCE, 5).await;
    wait_for(&side, &format!("order-{rejected}"), "OrderRejected").await;
    // Confirmed, to be paid while the saga is away.
    let mut confirmed = Vec::new();
    for _ in 0..3 {
        let order_id = place_order(&side, SKU, 1).await;
        wait_for(&side, &format!("order-{order_id}"), "OrderConfirmed").await;
        confirmed.push(order_id);
    }
    eventually(
        Duration::from_secs(60),
        "the paid order's stock committed",
        || async {
            let log = scan_log(&side.ns).await?;
            Ok((count(&events_of(&log, finished), "StockCommitted") == 1).then_some(()))
        },
    )
    .await
    .unwrap();
    saga.kill9().unwrap();

    // In flight, with no saga: placed and never reserved; a payment initiated and never
    // authorized; one authorized and never captured; an order paid whose stock was never
    // committed; an order rejected while still holding a reservation.
    let placed = place_order(&side, SKU, 2).await;
    let initiated = pay(&side, confirmed[0]).await;
    let authorized = pay(&side, confirmed[1]).await;
    let reference = json!("sim_auth_reconcile");
    send(
        &side,
        &format!("payment-{authorized}"),
        "AuthorizePayment",
        json!({ "amount": eur(1500), "provider_reference": reference }),
    )
    .await;
    let paid_by_hand = pay(&side, confirmed[2]).await;
    send(
        &side,
        &format!("payment-{paid_by_hand}"),
        "AuthorizePayment",
        json!({ "amount": eur(1500), "provider_reference": reference }),
    )
    .await;
    send(
        &side,
        &format!("payment-{paid_by_hand}"),
        "CapturePayment",
        json!({ "amount": eur(1500) }),
    )
    .await;
    send(
        &side,
        &format!("order-{}", confirmed[2]),
        "MarkOrderPaid",
        json!({ "payment_id": paid_by_hand, "amount": eur(1500) }),
    )
    .await;
    let holding = place_order(&side, SKU, 1).await;
    send(
        &side,
        &format!("inventory-{SKU}"),
        "ReserveStock",
        json!({
            "order_id": holding, "line": 1, "quantity": 1,
            "expires_at": chrono::Utc::now() + chrono::Duration::hours(1)
        }),
    )
    .await;
    send(
        &side,
        &format!("order-{holding}"),
        "RejectOrder",
        json!({ "reason": "coupon_refused" }),
    )
    .await;
    wait_for(&side, &format!("payment-{authorized}"), "PaymentAuthorized").await;
    wait_for(&side, &format!("order-{}", confirmed[2]), "OrderPaid").await;
    wait_for(&side, &format!("order-{holding}"), "OrderRejected").await;

    // A new log epoch, as `restore` writes: the saga's checkpoints point into another log.
    let epoch = runtime::topics::write_log_epoch(&side.ns.kafka, "restore")
        .await
        .unwrap();
    let before = commands(&side.ns).await;
    let log_before = scan_log(&side.ns).await.unwrap();
    let done: HashSet<Uuid> = [finished, rejected]
        .iter()
        .flat_map(|order_id| events_of(&log_before, *order_id))
        .map(|e| e.event_id)
        .collect();
    let _saga = spawn_saga(&side);

    // Every checkout in flight reaches its end.
    wait_for(&side, &format!("order-{placed}"), "OrderConfirmed").await;
    for order_id in &confirmed {
        eventually(Duration::from_secs(90), "paid and committed", || async {
            let log = scan_log(&side.ns).await?;
            let events = events_of(&log, *order_id);
            Ok(
                (count(&events, "OrderPaid") == 1 && count(&events, "StockCommitted") == 1)
                    .then_some(()),
            )
        })
        .await
        .unwrap();
    }
    eventually(
        Duration::from_secs(90),
        "the rejected order's stock released",
        || async {
            let log = scan_log(&side.ns).await?;
            Ok((count(&events_of(&log, holding), "ReservationReleased") == 1).then_some(()))
        },
    )
    .await
    .unwrap();
    let pool = sqlx::PgPool::connect(&side.ns.database_url).await.unwrap();
    let (rows,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM saga_checkpoints WHERE log_epoch = $1")
            .bind(epoch.log_epoch)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        i64::from(side.ns.kafka.partitions),
        "positions stored at the end"
    );

    // Every effect once: one capture per payment, one reservation, commit or release per line.
    let log = scan_log(&side.ns).await.unwrap();
    for order_id in confirmed.iter().chain([&finished, &placed]) {
        let events = events_of(&log, *order_id);
        assert_eq!(count(&events, "StockReserved"), 1, "{order_id}");
        assert_eq!(
            count(&events, "PaymentCaptured").min(1),
            count(&events, "OrderPaid")
        );
        assert!(count(&events, "PaymentCaptured") <= 1, "{order_id}");
        assert!(count(&events, "StockCommitted") <= 1, "{order_id}");
        assert_eq!(count(&events, "ReservationReleased"), 0, "{order_id}");
    }
    let payment = counted_events(&log, &format!("payment-{initiated}"));
    let types: Vec<&str> = payment.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["PaymentInitiated", "PaymentAuthorized", "PaymentCaptured"]
    );

    // Finished checkouts got nothing, and nothing was sent twice.
    let after = commands(&side.ns).await;
    let new: Vec<&CommandEnvelope> = after
        .iter()
        .filter(|c| !before.iter().any(|b| b.command_id == c.command_id))
        .collect();
    assert!(!new.is_empty());
    let caused_by_finished: Vec<&&CommandEnvelope> = new
        .iter()
        .filter(|c| done.contains(&c.causation_id))
        .collect();
    assert!(caused_by_finished.is_empty(), "{caused_by_finished:?}");
    let mut sent: HashMap<Uuid, usize> = HashMap::new();
    for command in &after {
        *sent.entry(command.command_id).or_default() += 1;
    }
    let twice: Vec<_> = sent.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "commands sent more than once: {twice:?}");
}
