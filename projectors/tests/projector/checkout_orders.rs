//! Orders move through their states: rows, lines, status history, payments and the
//! customer's totals; and what the checkout projections cannot use goes to the DLQ.

use std::time::Duration;

use domain::{
    customer::{self, Customer},
    order::{self, CancelReason, Order, OrderCommand},
    payment::{self, Payment, PaymentCommand},
};
use runtime::testing::TestNamespace;
use uuid::Uuid;

use crate::{
    catalog_and_inventory::eur,
    checkout::{commit, initiate, place, register, version},
    support::{Log, Model, Pending, pg, spawn_projector, wait_caught_up},
};

/// order_id, status, total_minor, payment_id, payment_status, stream_version
type OrderRow = (Uuid, String, i64, Option<Uuid>, Option<String>, i64);

#[tokio::test]
async fn orders_move_through_their_states_with_history_payments_and_customer_totals() {
    let ns = TestNamespace::create("projector-orders").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut customers = Model::<Customer>::default();
    let mut orders = Model::<Order>::default();
    let mut payments = Model::<Payment>::default();
    let mut records = Vec::new();

    let ada = Uuid::now_v7();
    let ada_stream = customer::stream_id(ada);
    records.push(commit(
        &mut log,
        &mut customers,
        &ada_stream,
        register(ada, "ada@example.com"),
    ));

    // Delivered: placed, both lines reserved (confirmed), a declined payment, a captured one,
    // paid, shipped, delivered.
    let delivered = Uuid::now_v7();
    let delivered_stream = order::stream_id(delivered);
    let total = 1_000 * 2 + 2_000;
    let (declined, captured) = (Uuid::now_v7(), Uuid::now_v7());
    let (declined_stream, captured_stream) =
        (payment::stream_id(declined), payment::stream_id(captured));
    let mut flow: Vec<Pending> = vec![
        commit(
            &mut log,
            &mut orders,
            &delivered_stream,
            place(delivered, ada, &[2, 1]),
        ),
        commit(
            &mut log,
            &mut orders,
            &delivered_stream,
            OrderCommand::RecordLineReserved { line: 1 },
        ),
        commit(
            &mut log,
            &mut orders,
            &delivered_stream,
            OrderCommand::RecordLineReserved { line: 2 },
        ),
    ];
    for (stream, command) in [
        (&declined_stream, initiate(declined, delivered, total)),
        (
            &declined_stream,
            PaymentCommand::DeclinePayment {
                reason: "card_declined".into(),
            },
        ),
        (&captured_stream, initiate(captured, delivered, total)),
        (
            &captured_stream,
            PaymentCommand::AuthorizePayment {
                amount: eur(total),
                provider_reference: "sim_1".into(),
            },
        ),
        (
            &captured_stream,
            PaymentCommand::CapturePayment { amount: eur(total) },
        ),
    ] {
        flow.push(commit(&mut log, &mut payments, stream, command));
    }
    for command in [
        OrderCommand::MarkOrderPaid {
            payment_id: captured,
            amount: eur(total),
        },
        OrderCommand::ShipOrder {
            carrier: "DHL".into(),
            tracking_number: "JD0001".into(),
        },
        OrderCommand::DeliverOrder {},
    ] {
        flow.push(commit(&mut log, &mut orders, &delivered_stream, command));
    }
    records.extend(flow);

    // Rejected: one line reserved, the other refused.
    let rejected = Uuid::now_v7();
    let rejected_stream = order::stream_id(rejected);
    for command in [
        place(rejected, ada, &[1, 3]),
        OrderCommand::RecordLineReserved { line: 1 },
        OrderCommand::RecordLineRefused { line: 2 },
    ] {
        records.push(commit(&mut log, &mut orders, &rejected_stream, command));
    }

    // Cancelled: confirmed, then the reservation expired before payment.
    let cancelled = Uuid::now_v7();
    let cancelled_stream = order::stream_id(cancelled);
    for command in [
        place(cancelled, ada, &[5]),
        OrderCommand::RecordLineReserved { line: 1 },
        OrderCommand::CancelOrder {
            reason: CancelReason::PaymentTimeout,
        },
    ] {
        records.push(commit(&mut log, &mut orders, &cancelled_stream, command));
    }
    log.send(records).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    // Orders, with the payment that paid and the customer's totals.
    let rows: Vec<OrderRow> = sqlx::query_as(
        "SELECT order_id, status, total_minor, payment_id, payment_status, stream_version
         FROM orders WHERE customer_id = $1 ORDER BY order_id",
    )
    .bind(ada)
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected_status = |stream: &str| {
        serde_json::to_value(orders.state(stream).status())
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        rows,
        vec![
            (
                delivered,
                expected_status(&delivered_stream),
                total,
                Some(captured),
                Some("captured".into()),
                version(&log, &delivered_stream),
            ),
            (
                rejected,
                expected_status(&rejected_stream),
                1_000 + 3 * 2_000,
                None,
                None,
                version(&log, &rejected_stream),
            ),
            (
                cancelled,
                expected_status(&cancelled_stream),
                5_000,
                None,
                None,
                version(&log, &cancelled_stream),
            ),
        ]
    );
    assert_eq!(
        [&rows[0].1, &rows[1].1, &rows[2].1],
        ["delivered", "rejected", "cancelled"]
    );
    let (count, value): (i32, i64) = sqlx::query_as(
        "SELECT order_count, lifetime_value_minor FROM customers WHERE customer_id = $1",
    )
    .bind(ada)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((count, value), (1, total), "only the paid order counts");

    // Lines as the order recorded them.
    let lines: Vec<(Uuid, i32, String, i32)> = sqlx::query_as(
        "SELECT order_id, line, state, quantity FROM order_lines ORDER BY order_id, line",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        lines,
        vec![
            (delivered, 1, "reserved".into(), 2),
            (delivered, 2, "reserved".into(), 1),
            (rejected, 1, "reserved".into(), 1),
            (rejected, 2, "refused".into(), 3),
            (cancelled, 1, "reserved".into(), 5),
        ]
    );

    // History: one row per status change, in stream order, at the versions of the events.
    let history = |order_id: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64, String, serde_json::Value)>(
                "SELECT version, status, detail FROM order_status_history
                 WHERE order_id = $1 ORDER BY version",
            )
            .bind(order_id)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let statuses = |rows: &[(i64, String, serde_json::Value)]| -> Vec<(i64, String)> {
        rows.iter().map(|(v, s, _)| (*v, s.clone())).collect()
    };
    let delivered_history = history(delivered).await;
    // placed (1), two reservations (2, 3 with the confirmation as 4), paid, shipped, delivered.
    assert_eq!(
        statuses(&delivered_history),
        vec![
            (1, "placed".into()),
            (4, "confirmed".into()),
            (5, "paid".into()),
            (6, "shipped".into()),
            (7, "delivered".into()),
        ]
    );
    assert_eq!(
        delivered_history[2].2["payment_id"],
        serde_json::json!(captured)
    );
    assert_eq!(delivered_history[3].2["tracking_number"], "JD0001");
    let rejected_history = history(rejected).await;
    assert_eq!(
        statuses(&rejected_history),
        vec![(1, "placed".into()), (4, "rejected".into())]
    );
    assert_eq!(rejected_history[1].2["reason"], "out_of_stock");
    let cancelled_history = history(cancelled).await;
    assert_eq!(
        statuses(&cancelled_history),
        vec![
            (1, "placed".into()),
            (3, "confirmed".into()),
            (4, "cancelled".into())
        ]
    );
    assert_eq!(cancelled_history[2].2["reason"], "payment_timeout");

    // Payments.
    let payment_rows: Vec<(Uuid, Uuid, String, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT payment_id, order_id, status, amount_minor, authorized_minor, captured_minor,
                method
         FROM payments ORDER BY payment_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        payment_rows,
        vec![
            (
                declined,
                delivered,
                "declined".into(),
                total,
                0,
                0,
                "card".into()
            ),
            (
                captured,
                delivered,
                "captured".into(),
                total,
                payments.state(&captured_stream).authorized_minor(),
                payments.state(&captured_stream).captured_minor(),
                "card".into()
            ),
        ]
    );
}

#[tokio::test]
async fn a_second_customer_with_a_taken_email_and_an_undecodable_order_event_are_dead_lettered() {
    let ns = TestNamespace::create("projector-checkout-dlq")
        .await
        .unwrap();
    let mut log = Log::open(&ns).await;
    let mut customers = Model::<Customer>::default();
    let mut orders = Model::<Order>::default();
    // The write side's e-mail claim prevents this; the read model must not lose the first.
    let (first, twin) = (Uuid::now_v7(), Uuid::now_v7());
    let first_stream = customer::stream_id(first);
    let twin_stream = customer::stream_id(twin);
    let mut twins = Vec::new();
    for (id, stream) in [(first, &first_stream), (twin, &twin_stream)] {
        twins.push(commit(
            &mut log,
            &mut customers,
            stream,
            register(id, "same@example.com"),
        ));
    }
    let positions = log.send(twins).await;

    let order_id = Uuid::now_v7();
    let order_stream = order::stream_id(order_id);
    let placed = commit(
        &mut log,
        &mut orders,
        &order_stream,
        place(order_id, first, &[1]),
    );
    log.send(vec![placed]).await;
    let bad = crate::support::envelope(
        &order_stream,
        log.next_version(&order_stream),
        "OrderShipped",
        1,
        serde_json::json!({ "carrier": 42 }),
        Uuid::now_v7(),
    );
    let bad_event = bad.event_id;
    let partition = log.partition_of(&order_stream);
    let bad_commit = log.commit_envelopes(
        &order_stream,
        log.next_version(&order_stream),
        vec![bad],
        log.epoch(partition),
    );
    let bad_offset = log.send(vec![bad_commit]).await[0].1;
    let confirmed = commit(
        &mut log,
        &mut orders,
        &order_stream,
        OrderCommand::RecordLineReserved { line: 1 },
    );
    log.send(vec![confirmed]).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    let stored: Vec<Uuid> = sqlx::query_scalar("SELECT customer_id FROM customers")
        .fetch_all(&pool)
        .await
        .unwrap();
    // The twins live in different partitions, so either may be read first; the other loses.
    let (kept, lost_at) = match stored.as_slice() {
        [id] if *id == first => (first, positions[1]),
        [id] if *id == twin => (twin, positions[0]),
        other => panic!("exactly one twin must be stored, found {other:?}"),
    };
    let email: String = sqlx::query_scalar("SELECT email FROM customers WHERE customer_id = $1")
        .bind(kept)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(email, "same@example.com");
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE order_id = $1")
        .bind(order_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        status, "confirmed",
        "the order carries on past the bad event"
    );
    runtime::testing::eventually(
        Duration::from_secs(30),
        "the dead letters of the twin and the bad event",
        || async {
            let letters = crate::support::dead_letters(&ns).await;
            let twin_letter = letters.iter().any(|l| {
                l.projection == "customers"
                    && (l.origin_partition, l.origin_offset) == lost_at
                    && l.error.contains("duplicate")
            });
            let bad_letter = letters.iter().any(|l| {
                l.projection == "orders"
                    && l.origin_offset == bad_offset
                    && l.event_id == Some(bad_event)
            });
            Ok((twin_letter && bad_letter).then_some(()))
        },
    )
    .await
    .unwrap();
}
