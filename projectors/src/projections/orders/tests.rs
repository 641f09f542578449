//! The fold of order events: rows, line states and history.

use std::collections::HashMap;

use chrono::DateTime;
use domain::{
    order::{CancelReason, Order, OrderEvent, OrderLine},
    values::{Address, Currency, Money, Sku},
};
use uuid::Uuid;

use super::fold::{existing_ids, fold};
use crate::{decode::Decoded, read_model::EventsOf};

fn eur(amount_minor: i64) -> Money {
    Money {
        amount_minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

fn at(id: Uuid, version: i64, event: OrderEvent) -> EventsOf<Order> {
    Decoded {
        partition: 0,
        offset: version,
        event_id: Uuid::now_v7(),
        stream: format!("order-{id}"),
        version,
        occurred_at: DateTime::from_timestamp(1_700_000_000 + version, 0).unwrap_or_default(),
        event,
    }
}

fn placed(id: Uuid, customer: Uuid) -> OrderEvent {
    OrderEvent::OrderPlaced {
        order_id: id,
        customer_id: customer,
        lines: vec![
            OrderLine {
                line: 1,
                sku: Sku::parse("A-1").unwrap(),
                product_id: Uuid::now_v7(),
                quantity: 2,
                unit_price: eur(1_000),
            },
            OrderLine {
                line: 2,
                sku: Sku::parse("B-1").unwrap(),
                product_id: Uuid::now_v7(),
                quantity: 1,
                unit_price: eur(500),
            },
        ],
        subtotal: eur(2_500),
        discount: eur(0),
        total: eur(2_500),
        coupon_code: None,
        shipping_address: Address {
            recipient: "Ada".into(),
            line1: "1 Main St".into(),
            line2: String::new(),
            city: "Berlin".into(),
            postal_code: "10115".into(),
            region: String::new(),
            country: "DE".into(),
        },
    }
}

#[test]
fn a_placed_then_paid_order_has_lines_states_and_history_in_order() {
    let (id, customer, payment) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let events = vec![
        at(id, 1, placed(id, customer)),
        at(id, 2, OrderEvent::OrderLineReserved { line: 1 }),
        at(id, 3, OrderEvent::OrderLineReserved { line: 2 }),
        at(id, 4, OrderEvent::OrderConfirmed {}),
        at(
            id,
            5,
            OrderEvent::OrderPaid {
                payment_id: payment,
                amount: eur(2_500),
            },
        ),
    ];
    assert!(existing_ids(&events).is_empty());
    let fold = fold(HashMap::new(), &events);
    let row = &fold.orders[&id];
    assert_eq!(row.status, "paid");
    assert_eq!(row.payment_id, Some(payment));
    assert_eq!((row.paid_minor, row.total_minor), (2_500, 2_500));
    assert_eq!(row.paid_at, Some(events[4].occurred_at));
    assert_eq!(row.placed_at, events[0].occurred_at);
    assert_eq!(fold.new_lines.len(), 2);
    assert_eq!(
        fold.line_states.values().copied().collect::<Vec<_>>(),
        vec!["reserved", "reserved"]
    );
    let history: Vec<(i64, &str)> = fold
        .history
        .iter()
        .map(|h| (h.version, h.status.as_str()))
        .collect();
    assert_eq!(history, vec![(1, "placed"), (4, "confirmed"), (5, "paid")]);
}

#[test]
fn a_refund_of_a_cancelled_order_keeps_it_cancelled_and_a_full_refund_of_a_delivered_one_does_not()
{
    let (id, customer) = (Uuid::now_v7(), Uuid::now_v7());
    let paid = vec![
        at(id, 1, placed(id, customer)),
        at(id, 2, OrderEvent::OrderConfirmed {}),
        at(
            id,
            3,
            OrderEvent::OrderPaid {
                payment_id: Uuid::now_v7(),
                amount: eur(2_500),
            },
        ),
    ];
    let row = fold(HashMap::new(), &paid).orders.remove(&id).unwrap();
    let refund = |version| {
        at(
            id,
            version,
            OrderEvent::OrderRefunded {
                refund_id: Uuid::now_v7(),
                amount: eur(2_500),
                total_refunded: eur(2_500),
                reason: "cancelled".into(),
            },
        )
    };

    let cancelled = vec![
        at(
            id,
            4,
            OrderEvent::OrderCancelled {
                reason: CancelReason::Customer,
                refund_due: eur(2_500),
            },
        ),
        refund(5),
    ];
    assert_eq!(existing_ids(&cancelled), vec![id]);
    let after = fold(HashMap::from([(id, row.clone())]), &cancelled);
    let cancelled_row = &after.orders[&id];
    assert_eq!(cancelled_row.status, "cancelled");
    assert_eq!(cancelled_row.cancel_reason.as_deref(), Some("customer"));
    assert_eq!(cancelled_row.refunded_minor, 2_500);

    let delivered = vec![
        at(
            id,
            4,
            OrderEvent::OrderShipped {
                carrier: "DHL".into(),
                tracking_number: "T1".into(),
            },
        ),
        at(id, 5, OrderEvent::OrderDelivered {}),
        refund(6),
    ];
    let after = fold(HashMap::from([(id, row)]), &delivered);
    assert_eq!(after.orders[&id].status, "refunded");
    let history: Vec<&str> = after.history.iter().map(|h| h.status.as_str()).collect();
    assert_eq!(history, vec!["shipped", "delivered", "refunded"]);
}

#[test]
fn events_of_an_order_never_placed_are_skipped() {
    let id = Uuid::now_v7();
    let fold = fold(HashMap::new(), &[at(id, 3, OrderEvent::OrderConfirmed {})]);
    assert!(fold.orders.is_empty());
    assert!(fold.history.is_empty());
}
