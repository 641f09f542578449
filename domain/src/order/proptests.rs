//! Invariants of the order state machine under random command sequences.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::values::fixtures::address;
use crate::values::{Currency, Sku};

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn placed(coupon: bool) -> OrderEvent {
    let line = |n: u32| OrderLine {
        line: n,
        sku: Sku::parse(&format!("S-{n}")).unwrap(),
        product_id: Uuid::from_u128(1),
        quantity: 1,
        unit_price: eur(1_000),
    };
    OrderEvent::OrderPlaced {
        order_id: Uuid::from_u128(2),
        customer_id: Uuid::from_u128(3),
        lines: vec![line(1), line(2)],
        subtotal: eur(2_000),
        discount: eur(if coupon { 200 } else { 0 }),
        total: eur(if coupon { 1_800 } else { 2_000 }),
        coupon_code: coupon.then(|| CouponCode::parse("C").unwrap()),
        shipping_address: address(),
    }
}

fn command() -> impl Strategy<Value = OrderCommand> {
    let reject = prop_oneof![
        Just(RejectReason::OutOfStock),
        Just(RejectReason::CouponRefused)
    ];
    let cancel = prop_oneof![
        Just(CancelReason::Customer),
        Just(CancelReason::PaymentTimeout)
    ];
    prop_oneof![
        (0u32..4).prop_map(|line| OrderCommand::RecordLineReserved { line }),
        (0u32..4).prop_map(|line| OrderCommand::RecordLineRefused { line }),
        prop_oneof![Just(200i64), Just(100)]
            .prop_map(|d| OrderCommand::RecordCouponRedeemed { discount: eur(d) }),
        reject.prop_map(|reason| OrderCommand::RejectOrder { reason }),
        (0u128..2, prop_oneof![Just(1_800i64), Just(2_000)]).prop_map(|(p, a)| {
            OrderCommand::MarkOrderPaid {
                payment_id: Uuid::from_u128(p),
                amount: eur(a),
            }
        }),
        cancel.prop_map(|reason| OrderCommand::CancelOrder { reason }),
        Just(OrderCommand::ShipOrder {
            carrier: "DHL".into(),
            tracking_number: "1".into()
        }),
        Just(OrderCommand::DeliverOrder {}),
        (0u128..4, 1i64..2_500).prop_map(|(id, a)| OrderCommand::RefundOrder {
            refund_id: Uuid::from_u128(id),
            amount: eur(a),
            reason: "r".into(),
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_command_sequence_leaves_the_state_machine_or_refunds_more_than_paid(
        coupon in any::<bool>(),
        commands in proptest::collection::vec(command(), 1..40),
    ) {
        let mut state = Order::default().evolve(&placed(coupon));
        for command in commands {
            let before = state.status();
            let Ok(events) = state.decide(command) else { continue };
            for event in &events {
                state = state.evolve(event);
            }
            prop_assert!(
                before.can_become(state.status()),
                "{before:?} -> {:?}", state.status()
            );
            let paid = state.paid().map_or(0, |p| p.amount_minor);
            prop_assert!(state.refunded_minor() <= paid);
            if state.status() == OrderStatus::Confirmed {
                prop_assert_eq!(state.reserved_lines().len(), 2);
            }
        }
    }
}
