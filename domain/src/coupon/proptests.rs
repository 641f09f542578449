//! Coupon limits under random redeem/release sequences.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::values::Currency;

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, d, 0, 0, 0).unwrap()
}

fn command() -> impl Strategy<Value = CouponCommand> {
    prop_oneof![
        4 => (0u128..8, 0u128..3, 0i64..10_000, 1u32..29).prop_map(|(o, c, s, d)| {
            CouponCommand::RedeemCoupon {
                order_id: Uuid::from_u128(o),
                customer_id: Uuid::from_u128(100 + c),
                subtotal: eur(s),
                now: day(d),
            }
        }),
        2 => (0u128..8).prop_map(|o| CouponCommand::ReleaseRedemption {
            order_id: Uuid::from_u128(o)
        }),
        1 => Just(CouponCommand::DisableCoupon {}),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_sequence_exceeds_the_limits_or_discounts_more_than_the_subtotal(
        global in 1u32..4,
        per_customer in 1u32..3,
        basis_points in 1u32..=10_000,
        commands in proptest::collection::vec(command(), 1..50),
    ) {
        let mut state = Coupon::default().evolve(&CouponEvent::CouponCreated {
            code: CouponCode::parse("P").unwrap(),
            discount: Discount::Percentage { basis_points },
            min_order_value: None,
            valid_from: day(1),
            valid_until: day(30),
            global_limit: Some(global),
            per_customer_limit: Some(per_customer),
        });
        let mut releases: BTreeMap<Uuid, u32> = BTreeMap::new();
        for command in commands {
            let Ok(events) = state.decide(command) else { continue };
            for event in &events {
                match event {
                    CouponEvent::CouponRedeemed { subtotal, discount, .. } => {
                        prop_assert!(discount.amount_minor >= 0);
                        prop_assert!(discount.amount_minor <= subtotal.amount_minor);
                    }
                    CouponEvent::CouponRedemptionReleased { order_id, .. } => {
                        *releases.entry(*order_id).or_default() += 1;
                    }
                    _ => {}
                }
                state = state.evolve(event);
            }
            prop_assert!(state.active_redemptions() <= global as usize);
            for c in 0..3 {
                let customer = Uuid::from_u128(100 + c);
                prop_assert!(state.active_redemptions_of(customer) <= per_customer as usize);
            }
        }
        prop_assert!(releases.values().all(|n| *n <= 1));
    }
}
