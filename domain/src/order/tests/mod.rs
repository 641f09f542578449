//! Order rules, one sentence per test, with shared fixtures.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

mod checkout;
mod fulfilment;

use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use crate::values::fixtures::address;
use crate::values::{Currency, Sku};

pub(super) const ORDER: Uuid = Uuid::from_u128(0x0D);
pub(super) const CUSTOMER: Uuid = Uuid::from_u128(0xC);
pub(super) const PRODUCT: Uuid = Uuid::from_u128(0xA);
pub(super) const PAYMENT: Uuid = Uuid::from_u128(0xB);

pub(super) fn given(events: impl IntoIterator<Item = OrderEvent>) -> Given<Order> {
    testing::given(events)
}

pub(super) fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

pub(super) fn sku(line: u32) -> Sku {
    Sku::parse(&format!("SKU-{line}")).unwrap()
}

/// Line 1: 2 × 10.00, line 2: 1 × 5.00; subtotal 25.00.
pub(super) fn lines() -> Vec<OrderLine> {
    vec![
        OrderLine {
            line: 1,
            sku: sku(1),
            product_id: PRODUCT,
            quantity: 2,
            unit_price: eur(1_000),
        },
        OrderLine {
            line: 2,
            sku: sku(2),
            product_id: PRODUCT,
            quantity: 1,
            unit_price: eur(500),
        },
    ]
}

pub(super) fn code() -> CouponCode {
    CouponCode::parse("SAVE5").unwrap()
}

pub(super) fn place(discount: i64, coupon: bool) -> OrderCommand {
    OrderCommand::PlaceOrder {
        order_id: ORDER,
        customer_id: CUSTOMER,
        lines: lines(),
        subtotal: eur(2_500),
        discount: eur(discount),
        total: eur(2_500 - discount),
        coupon_code: coupon.then(code),
        shipping_address: address(),
    }
}

pub(super) fn placed(discount: i64, coupon: bool) -> OrderEvent {
    OrderEvent::OrderPlaced {
        order_id: ORDER,
        customer_id: CUSTOMER,
        lines: lines(),
        subtotal: eur(2_500),
        discount: eur(discount),
        total: eur(2_500 - discount),
        coupon_code: coupon.then(code),
        shipping_address: address(),
    }
}

/// Placed without coupon and both lines reserved.
pub(super) fn confirmed() -> Vec<OrderEvent> {
    vec![
        placed(0, false),
        OrderEvent::OrderLineReserved { line: 1 },
        OrderEvent::OrderLineReserved { line: 2 },
        OrderEvent::OrderConfirmed {},
    ]
}

pub(super) fn paid() -> Vec<OrderEvent> {
    let mut history = confirmed();
    history.push(OrderEvent::OrderPaid {
        payment_id: PAYMENT,
        amount: eur(2_500),
    });
    history
}

pub(super) fn shipped() -> Vec<OrderEvent> {
    let mut history = paid();
    history.push(OrderEvent::OrderShipped {
        carrier: "DHL".into(),
        tracking_number: "JD0001".into(),
    });
    history
}

pub(super) fn then(
    mut base: Vec<OrderEvent>,
    more: impl IntoIterator<Item = OrderEvent>,
) -> Vec<OrderEvent> {
    base.extend(more);
    base
}

#[test]
fn stream_id_is_kind_and_uuid() {
    assert_eq!(stream_id(ORDER), format!("order-{ORDER}"));
}

#[test]
fn the_transition_table_allows_only_the_documented_moves() {
    use OrderStatus as S;
    assert!(S::Placed.can_become(S::Confirmed));
    assert!(S::Paid.can_become(S::Cancelled));
    assert!(!S::Shipped.can_become(S::Cancelled));
    assert!(!S::Placed.can_become(S::Paid));
    assert!(!S::Rejected.can_become(S::Confirmed));
    assert!(!S::Refunded.can_become(S::Paid));
}
