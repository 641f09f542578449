//! Which notifications batches call for, as sentences.

#![allow(clippy::unwrap_used)]

use chrono::Utc;
use domain::{
    customer::{self, Role},
    inventory,
    order::{self, CancelReason},
    payment::{self, PaymentMethod},
    values::{Address, Currency, Email, Sku},
};

use super::*;
use crate::decode::Decoded;

const STAFF: &str = "staff@agora.local";

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("EUR").unwrap())
}

fn decoded<E>(stream: String, version: i64, event: E) -> Decoded<E> {
    Decoded {
        partition: 0,
        offset: version,
        event_id: Uuid::now_v7(),
        stream,
        version,
        occurred_at: Utc::now(),
        event,
    }
}

fn registered(customer_id: Uuid, email: &str) -> EventsOf<Customer> {
    decoded(
        customer::stream_id(customer_id),
        1,
        CustomerEvent::CustomerRegistered {
            customer_id,
            email: Email::parse(email).unwrap(),
            display_name: "Ada".into(),
            password_hash: "$argon2id$x".into(),
            role: Role::Customer,
        },
    )
}

fn placed(order_id: Uuid, customer_id: Uuid, total: i64) -> EventsOf<Order> {
    decoded(
        order::stream_id(order_id),
        1,
        OrderEvent::OrderPlaced {
            order_id,
            customer_id,
            lines: vec![],
            subtotal: eur(total),
            discount: eur(0),
            total: eur(total),
            coupon_code: None,
            shipping_address: Address {
                recipient: "Ada".into(),
                line1: "1 Row".into(),
                line2: String::new(),
                city: "Berlin".into(),
                postal_code: "10115".into(),
                region: String::new(),
                country: "DE".into(),
            },
        },
    )
}

fn on_order(order_id: Uuid, version: i64, event: OrderEvent) -> EventsOf<Order> {
    decoded(order::stream_id(order_id), version, event)
}

fn initiated(payment_id: Uuid, order_id: Uuid) -> EventsOf<Payment> {
    decoded(
        payment::stream_id(payment_id),
        1,
        PaymentEvent::PaymentInitiated {
            payment_id,
            order_id,
            amount: eur(3000),
            method: PaymentMethod::Card,
            instrument_token: "tok".into(),
            idempotency_key: "k".into(),
        },
    )
}

fn refunded(payment_id: Uuid, amount: i64) -> EventsOf<Payment> {
    decoded(
        payment::stream_id(payment_id),
        4,
        PaymentEvent::PaymentRefunded {
            refund_id: Uuid::now_v7(),
            amount: eur(amount),
            refunded_total: eur(amount),
        },
    )
}

fn kinds(plan: &Plan) -> Vec<Kind> {
    plan.notifications.iter().map(|n| n.kind).collect()
}

#[test]
fn a_registration_welcomes_the_registered_address_and_remembers_it() {
    let ada = Uuid::now_v7();
    let events = Events {
        customers: vec![registered(ada, " Ada@Example.com ")],
        ..Events::default()
    };
    let plan = plan(&events, &Known::default(), STAFF);
    assert_eq!(kinds(&plan), [Kind::Welcome]);
    let welcome = &plan.notifications[0];
    assert_eq!(welcome.recipient.as_deref(), Some("ada@example.com"));
    assert_eq!(welcome.customer_id, Some(ada));
    assert!(welcome.message.body.starts_with("Hello Ada,"));
    assert_eq!(
        plan.registrations,
        [Registration {
            customer_id: ada,
            email: "ada@example.com".into(),
            display_name: "Ada".into(),
            version: 1,
        }]
    );
}

#[test]
fn an_order_confirmed_in_the_batch_that_placed_it_goes_to_the_buyer_with_its_total() {
    let (order_id, ada) = (Uuid::now_v7(), Uuid::now_v7());
    let events = Events {
        orders: vec![
            placed(order_id, ada, 3000),
            on_order(order_id, 2, OrderEvent::OrderLineReserved { line: 1 }),
            on_order(order_id, 3, OrderEvent::OrderConfirmed {}),
        ],
        ..Events::default()
    };
    let plan = plan(&events, &Known::default(), STAFF);
    assert_eq!(kinds(&plan), [Kind::OrderConfirmed]);
    let confirmed = &plan.notifications[0];
    assert_eq!(confirmed.customer_id, Some(ada));
    assert_eq!(confirmed.recipient, None);
    assert_eq!(confirmed.order_id, Some(order_id));
    assert!(confirmed.message.body.contains("Total: 30.00 EUR"));
    assert_eq!(
        plan.orders,
        [(
            order_id,
            OrderFacts {
                customer_id: ada,
                total: eur(3000)
            }
        )]
    );
}

#[test]
fn shipping_and_cancelling_an_order_placed_earlier_notify_its_buyer() {
    let (order_id, ada) = (Uuid::now_v7(), Uuid::now_v7());
    let known = Known {
        orders: HashMap::from([(
            order_id,
            OrderFacts {
                customer_id: ada,
                total: eur(3000),
            },
        )]),
        ..Known::default()
    };
    let events = Events {
        orders: vec![
            on_order(
                order_id,
                5,
                OrderEvent::OrderShipped {
                    carrier: "DHL".into(),
                    tracking_number: "JJD1".into(),
                },
            ),
            on_order(
                order_id,
                6,
                OrderEvent::OrderCancelled {
                    reason: CancelReason::Customer,
                    refund_due: eur(3000),
                },
            ),
        ],
        ..Events::default()
    };
    let plan = plan(&events, &known, STAFF);
    assert_eq!(kinds(&plan), [Kind::OrderShipped, Kind::OrderCancelled]);
    assert!(
        plan.notifications
            .iter()
            .all(|n| n.customer_id == Some(ada))
    );
    assert!(plan.notifications[0].message.body.contains("Carrier: DHL"));
    assert!(plan.orders.is_empty());
}

#[test]
fn a_refund_reaches_the_buyer_through_the_payment_and_its_order() {
    let (order_id, ada, payment_id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let events = Events {
        orders: vec![placed(order_id, ada, 3000)],
        payments: vec![initiated(payment_id, order_id), refunded(payment_id, 1250)],
        ..Events::default()
    };
    assert_eq!(payments_to_load(&events), [payment_id]);
    let plan = plan(&events, &Known::default(), STAFF);
    assert_eq!(kinds(&plan), [Kind::Refund]);
    let refund = &plan.notifications[0];
    assert_eq!(
        (refund.customer_id, refund.order_id),
        (Some(ada), Some(order_id))
    );
    assert!(refund.message.body.contains("refunded 12.50 EUR"));
    assert_eq!(plan.payments, [(payment_id, order_id)]);
}

#[test]
fn a_refund_whose_order_is_not_known_yet_keeps_the_order_to_find_the_buyer_later() {
    let (order_id, payment_id) = (Uuid::now_v7(), Uuid::now_v7());
    let known = Known {
        payments: HashMap::from([(payment_id, order_id)]),
        ..Known::default()
    };
    let events = Events {
        payments: vec![refunded(payment_id, 500)],
        ..Events::default()
    };
    assert_eq!(orders_to_load(&events, &known.payments), [order_id]);
    let plan = plan(&events, &known, STAFF);
    let refund = &plan.notifications[0];
    assert_eq!(refund.customer_id, None);
    assert_eq!(refund.order_id, Some(order_id));
}

#[test]
fn low_stock_goes_to_staff_with_the_sku() {
    let sku = Sku::parse("TEE-RED-M").unwrap();
    let events = Events {
        inventory: vec![
            decoded(
                inventory::stream_id(&sku),
                7,
                InventoryEvent::StockReserved {
                    order_id: Uuid::now_v7(),
                    line: 1,
                    quantity: 3,
                    expires_at: Utc::now(),
                    on_hand: 5,
                    reserved: 3,
                },
            ),
            decoded(
                inventory::stream_id(&sku),
                8,
                InventoryEvent::LowStockReached {
                    available: 2,
                    threshold: 2,
                },
            ),
        ],
        ..Events::default()
    };
    let plan = plan(&events, &Known::default(), STAFF);
    assert_eq!(kinds(&plan), [Kind::LowStock]);
    let low = &plan.notifications[0];
    assert_eq!(low.recipient.as_deref(), Some(STAFF));
    assert_eq!(low.sku.as_deref(), Some("TEE-RED-M"));
    assert_eq!(low.message.subject, "Low stock: TEE-RED-M");
}

#[test]
fn later_customer_changes_fold_into_one_update_per_customer() {
    let ada = Uuid::now_v7();
    let stream = customer::stream_id(ada);
    let events = Events {
        customers: vec![
            registered(ada, "ada@example.com"),
            decoded(
                stream.clone(),
                2,
                CustomerEvent::ProfileUpdated {
                    display_name: "Countess".into(),
                },
            ),
            decoded(
                stream.clone(),
                3,
                CustomerEvent::RoleChanged {
                    previous_role: Role::Customer,
                    role: Role::Staff,
                },
            ),
            decoded(stream, 4, CustomerEvent::CustomerDeactivated {}),
        ],
        ..Events::default()
    };
    let plan = plan(&events, &Known::default(), STAFF);
    assert_eq!(
        plan.recipient_updates,
        [RecipientUpdate {
            customer_id: ada,
            display_name: Some("Countess".into()),
            active: Some(false),
            version: 4,
        }]
    );
}

#[test]
fn deciding_the_same_events_again_yields_the_same_notification_ids() {
    let (order_id, ada) = (Uuid::now_v7(), Uuid::now_v7());
    let events = Events {
        customers: vec![registered(ada, "ada@example.com")],
        orders: vec![
            placed(order_id, ada, 1000),
            on_order(order_id, 2, OrderEvent::OrderConfirmed {}),
        ],
        ..Events::default()
    };
    let first = plan(&events, &Known::default(), STAFF);
    let replay = plan(&events, &Known::default(), STAFF);
    assert_eq!(first, replay);
    assert_eq!(first.notifications.len(), 2);
}
