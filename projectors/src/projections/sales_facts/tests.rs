//! The event → fact mapping, without ClickHouse.

use chrono::DateTime;
use domain::{
    cart::CartEvent,
    order::{OrderEvent, OrderLine},
    payment::{PaymentEvent, PaymentMethod},
    values::{Address, Currency, Money, Sku},
};
use uuid::Uuid;

use super::rows::{Facts, Known};
use crate::decode::Decoded;

fn eur(amount_minor: i64) -> Money {
    Money {
        amount_minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

fn at<E>(stream: String, version: i64, event: E) -> Decoded<E> {
    Decoded {
        partition: 1,
        offset: 10 + version,
        event_id: Uuid::now_v7(),
        stream,
        version,
        occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        event,
    }
}

fn address() -> Address {
    serde_json::from_value(serde_json::json!({
        "recipient": "Ada", "line1": "Street 1", "city": "Berlin", "country": "DE"
    }))
    .unwrap()
}

fn placed(order_id: Uuid, customer_id: Uuid) -> OrderEvent {
    let line = |line: u32, quantity: u32, price: i64| OrderLine {
        line,
        sku: Sku::parse(&format!("SKU-{line}")).unwrap(),
        product_id: Uuid::from_u128(u128::from(line)),
        quantity,
        unit_price: eur(price),
    };
    OrderEvent::OrderPlaced {
        order_id,
        customer_id,
        lines: vec![line(1, 2, 1_000), line(2, 1, 500)],
        subtotal: eur(2_500),
        discount: eur(300),
        total: eur(2_200),
        coupon_code: None,
        shipping_address: address(),
    }
}

#[test]
fn a_placement_makes_one_line_fact_per_line_and_later_facts_repeat_its_amounts() {
    let (order_id, customer_id) = (Uuid::now_v7(), Uuid::now_v7());
    let stream = domain::order::stream_id(order_id);
    let mut known = Known::default();
    let mut facts = Facts::default();
    facts.add_orders(
        &[
            at(stream.clone(), 1, placed(order_id, customer_id)),
            at(stream.clone(), 2, OrderEvent::OrderLineReserved { line: 1 }),
            at(
                stream.clone(),
                3,
                OrderEvent::OrderPaid {
                    payment_id: Uuid::now_v7(),
                    amount: eur(2_200),
                },
            ),
        ],
        &mut known,
    );
    let totals: Vec<_> = facts
        .lines
        .iter()
        .map(|l| (l.line, l.quantity, l.line_total_minor))
        .collect();
    assert_eq!(totals, vec![(1, 2, 2_000), (2, 1, 500)]);
    let statuses: Vec<_> = facts.orders.iter().map(|o| o.status.as_str()).collect();
    assert_eq!(statuses, vec!["placed", "paid"]);
    let paid = &facts.orders[1];
    assert_eq!(paid.customer_id, customer_id);
    assert_eq!(
        (paid.subtotal_minor, paid.discount_minor, paid.total_minor),
        (2_500, 300, 2_200)
    );
    assert_eq!((paid.amount_minor, paid.currency.as_str()), (2_200, "EUR"));
}

#[test]
fn a_declined_payment_names_its_order_and_the_amount_attempted() {
    let (payment_id, order_id) = (Uuid::now_v7(), Uuid::now_v7());
    let stream = domain::payment::stream_id(payment_id);
    let mut known = Known::default();
    let mut facts = Facts::default();
    facts.add_payments(
        &[
            at(
                stream.clone(),
                1,
                PaymentEvent::PaymentInitiated {
                    payment_id,
                    order_id,
                    amount: eur(4_000),
                    method: PaymentMethod::Wallet,
                    instrument_token: "tok".into(),
                    idempotency_key: "k".into(),
                },
            ),
            at(
                stream,
                2,
                PaymentEvent::PaymentDeclined {
                    reason: "card_declined".into(),
                },
            ),
        ],
        &mut known,
    );
    let declined = &facts.payments[1];
    assert_eq!(declined.kind, "declined");
    assert_eq!(
        (declined.order_id, declined.amount_minor),
        (order_id, 4_000)
    );
    assert_eq!(
        (declined.method.as_str(), declined.reason.as_str()),
        ("wallet", "card_declined")
    );
}

#[test]
fn cart_facts_keep_the_owner_and_skip_coupons() {
    let (cart_id, customer_id) = (Uuid::now_v7(), Uuid::now_v7());
    let stream = domain::cart::stream_id(cart_id);
    let sku = Sku::parse("SKU-7").unwrap();
    let mut known = Known::default();
    let mut facts = Facts::default();
    facts.add_carts(
        &[
            at(
                stream.clone(),
                1,
                CartEvent::CartCreated {
                    cart_id,
                    customer_id: Some(customer_id),
                },
            ),
            at(
                stream.clone(),
                2,
                CartEvent::CartLineAdded {
                    sku: sku.clone(),
                    product_id: Uuid::from_u128(7),
                    added: 2,
                    quantity: 2,
                    unit_price: eur(700),
                },
            ),
            at(stream.clone(), 3, CartEvent::CouponRemoved {}),
            at(stream, 4, CartEvent::CartLineRemoved { sku }),
        ],
        &mut known,
    );
    let actions: Vec<_> = facts
        .carts
        .iter()
        .map(|c| (c.action.as_str(), c.quantity, c.customer_id == customer_id))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("created", 0, true),
            ("line_added", 2, true),
            ("line_removed", 0, true)
        ]
    );
}
