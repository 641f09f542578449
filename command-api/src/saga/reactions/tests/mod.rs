//! The saga's rules as sentences: given what the view holds, when an event arrives, then these
//! commands (with derived ids), provider calls or escalations.
//!
//! - `checkout`: orders, stock and coupons.
//! - `payments`: the provider, captures, refunds.

mod checkout;
mod payments;

use chrono::{DateTime, TimeZone, Utc};
use domain::{
    coupon::{CouponCommand, CouponEvent, RefusalReason},
    inventory::{InventoryCommand, InventoryEvent},
    order::{CancelReason, OrderCommand, OrderEvent, OrderLine, RejectReason},
    payment::{PaymentCommand, PaymentEvent, PaymentMethod},
    values::{Address, CouponCode, Currency, Money, Sku},
};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::*;
use crate::saga::provider::{APPROVE_CARD, ProviderAnswer, ProviderUnavailable};

const ORDER: Uuid = Uuid::from_u128(0x0a);
const CUSTOMER: Uuid = Uuid::from_u128(0x0c);
const PAYMENT: Uuid = Uuid::from_u128(0x0b);
const CORRELATION: Uuid = Uuid::from_u128(0xc0);

fn eur(minor: i64) -> Money {
    Money {
        amount_minor: minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn cause(n: u128) -> Cause {
    Cause {
        event_id: Uuid::from_u128(0xe000 + n),
        correlation_id: CORRELATION,
        occurred_at: at(),
    }
}

fn rules() -> Rules {
    Rules {
        reservation_ttl: chrono::Duration::minutes(15),
    }
}

fn line(line: u32, sku: &str, quantity: u32) -> OrderLine {
    OrderLine {
        line,
        sku: Sku::parse(sku).unwrap(),
        product_id: Uuid::from_u128(0x9),
        quantity,
        unit_price: eur(500),
    }
}

fn placed(coupon: Option<&str>) -> SagaEvent {
    SagaEvent::Order(
        ORDER,
        OrderEvent::OrderPlaced {
            order_id: ORDER,
            customer_id: CUSTOMER,
            lines: vec![line(1, "SKU-A", 2), line(2, "SKU-B", 1)],
            subtotal: eur(1500),
            discount: eur(if coupon.is_some() { 100 } else { 0 }),
            total: eur(if coupon.is_some() { 1400 } else { 1500 }),
            coupon_code: coupon.map(|c| CouponCode::parse(c).unwrap()),
            shipping_address: Address {
                recipient: "Ada".into(),
                line1: "1 Road".into(),
                line2: String::new(),
                city: "Paris".into(),
                postal_code: String::new(),
                region: String::new(),
                country: "FR".into(),
            },
        },
    )
}

fn order(event: OrderEvent) -> SagaEvent {
    SagaEvent::Order(ORDER, event)
}

fn payment(event: PaymentEvent) -> SagaEvent {
    SagaEvent::Payment(PAYMENT, event)
}

fn initiated(card: &str) -> SagaEvent {
    payment(PaymentEvent::PaymentInitiated {
        payment_id: PAYMENT,
        order_id: ORDER,
        amount: eur(1500),
        method: PaymentMethod::Card,
        instrument_token: card.into(),
        idempotency_key: "client-key".into(),
    })
}

fn authorized() -> SagaEvent {
    payment(PaymentEvent::PaymentAuthorized {
        amount: eur(1500),
        provider_reference: "sim_auth_1".into(),
    })
}

fn captured() -> SagaEvent {
    payment(PaymentEvent::PaymentCaptured {
        amount: eur(1500),
        captured_total: eur(1500),
    })
}

fn expired(line: u32) -> SagaEvent {
    SagaEvent::Inventory(InventoryEvent::ReservationExpired {
        order_id: ORDER,
        line,
        quantity: 1,
        expires_at: at(),
        on_hand: 5,
        reserved: 0,
    })
}

/// A view that has folded `history`.
fn given(history: &[SagaEvent]) -> View {
    let mut view = View::default();
    for event in history {
        view.apply(event);
    }
    view
}

/// Folds `event` into `view` and reacts to it, as the runner does.
fn when(view: &mut View, n: u128, event: SagaEvent) -> Vec<Reaction> {
    view.apply(&event);
    react(&cause(n), &event, view, &rules())
}

fn sends(reactions: &[Reaction]) -> Vec<&CommandEnvelope> {
    reactions
        .iter()
        .filter_map(|r| match r {
            Reaction::Send(envelope) => Some(envelope),
            _ => None,
        })
        .collect()
}

fn calls(reactions: &[Reaction]) -> Vec<&ProviderCall> {
    reactions
        .iter()
        .filter_map(|r| match r {
            Reaction::Call(call) => Some(call),
            _ => None,
        })
        .collect()
}

fn escalations(reactions: &[Reaction]) -> Vec<&Escalation> {
    reactions
        .iter()
        .filter_map(|r| match r {
            Reaction::Escalate(escalation) => Some(escalation),
            _ => None,
        })
        .collect()
}

/// The command decoded as the processor will decode it.
fn decoded<C: DeserializeOwned>(envelope: &CommandEnvelope) -> C {
    serde_json::from_value(envelope.command.clone()).unwrap()
}

fn only_send(reactions: &[Reaction]) -> &CommandEnvelope {
    let sent = sends(reactions);
    assert_eq!(sent.len(), 1, "expected one command, got {reactions:?}");
    sent[0]
}
