//! Coupon rules, one sentence per test.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use crate::values::Currency;
use CouponCommand as C;
use CouponEvent as E;

const ADA: Uuid = Uuid::from_u128(1);
const BOB: Uuid = Uuid::from_u128(2);

fn given(events: impl IntoIterator<Item = CouponEvent>) -> Given<Coupon> {
    testing::given(events)
}

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, d, 0, 0, 0).unwrap()
}

fn order(n: u128) -> Uuid {
    Uuid::from_u128(100 + n)
}

fn code() -> CouponCode {
    CouponCode::parse("SUMMER").unwrap()
}

/// 10 %, minimum 20.00, valid June 1–30, 2 uses overall, 1 per customer.
fn created_with(discount: Discount) -> CouponEvent {
    E::CouponCreated {
        code: code(),
        discount,
        min_order_value: Some(eur(2_000)),
        valid_from: day(1),
        valid_until: day(30),
        global_limit: Some(2),
        per_customer_limit: Some(1),
    }
}

fn created() -> CouponEvent {
    created_with(Discount::Percentage {
        basis_points: 1_000,
    })
}

fn create(discount: Discount) -> CouponCommand {
    C::CreateCoupon {
        code: code(),
        discount,
        min_order_value: Some(eur(2_000)),
        valid_from: day(1),
        valid_until: day(30),
        global_limit: Some(2),
        per_customer_limit: Some(1),
    }
}

fn redeem(n: u128, customer_id: Uuid, subtotal: i64, now: DateTime<Utc>) -> CouponCommand {
    C::RedeemCoupon {
        order_id: order(n),
        customer_id,
        subtotal: eur(subtotal),
        now,
    }
}

fn redeemed(n: u128, customer_id: Uuid, subtotal: i64, discount: i64) -> CouponEvent {
    E::CouponRedeemed {
        order_id: order(n),
        customer_id,
        subtotal: eur(subtotal),
        discount: eur(discount),
    }
}

fn refused(n: u128, customer_id: Uuid, reason: RefusalReason) -> CouponEvent {
    E::CouponRedemptionRefused {
        order_id: order(n),
        customer_id,
        reason,
    }
}

#[test]
fn stream_id_uses_the_normalized_code() {
    assert_eq!(
        stream_id(&CouponCode::parse("summer").unwrap()),
        "coupon-SUMMER"
    );
}

#[test]
fn creating_a_coupon_is_accepted_and_twice_is_a_conflict() {
    let percent = Discount::Percentage {
        basis_points: 1_000,
    };
    given([]).when(create(percent)).then([created()]);
    given([created()])
        .when(create(percent))
        .then_err(CouponError::AlreadyExists);
}

#[test]
fn creating_a_coupon_with_a_bad_discount_window_or_limit_is_refused() {
    for bad in [
        Discount::Percentage { basis_points: 0 },
        Discount::Percentage {
            basis_points: 10_001,
        },
        Discount::FixedAmount { amount: eur(0) },
    ] {
        given([])
            .when(create(bad))
            .then_err(CouponError::InvalidDiscount);
    }
    let mut command = create(Discount::Percentage { basis_points: 1 });
    if let C::CreateCoupon { valid_until, .. } = &mut command {
        *valid_until = day(1);
    }
    given([])
        .when(command)
        .then_err(CouponError::InvalidValidity);
    let mut command = create(Discount::Percentage { basis_points: 1 });
    if let C::CreateCoupon { global_limit, .. } = &mut command {
        *global_limit = Some(0);
    }
    given([]).when(command).then_err(CouponError::InvalidLimit);
}

#[test]
fn commands_on_a_missing_coupon_are_not_found() {
    given([])
        .when(redeem(1, ADA, 5_000, day(2)))
        .then_err(CouponError::NotFound);
}

#[test]
fn redeeming_a_valid_coupon_grants_the_rounded_percentage() {
    // 10 % of 20.05 is 2.005, which rounds half up to 2.01.
    given([created()])
        .when(redeem(1, ADA, 2_005, day(2)))
        .then([redeemed(1, ADA, 2_005, 201)]);
}

#[test]
fn a_fixed_discount_is_capped_at_the_subtotal() {
    let mut terms = created_with(Discount::FixedAmount { amount: eur(5_000) });
    if let E::CouponCreated {
        min_order_value, ..
    } = &mut terms
    {
        *min_order_value = None;
    }
    given([terms])
        .when(redeem(1, ADA, 3_000, day(2)))
        .then([redeemed(1, ADA, 3_000, 3_000)]);
}

#[test]
fn redeeming_outside_the_validity_window_is_refused_with_a_reason() {
    let early = Utc.with_ymd_and_hms(2025, 5, 31, 23, 59, 59).unwrap();
    given([created()])
        .when(redeem(1, ADA, 5_000, early))
        .then([refused(1, ADA, RefusalReason::NotYetValid)]);
    given([created()])
        .when(redeem(1, ADA, 5_000, day(30)))
        .then([refused(1, ADA, RefusalReason::Expired)]);
}

#[test]
fn redeeming_below_the_minimum_order_value_is_refused() {
    given([created()])
        .when(redeem(1, ADA, 1_999, day(2)))
        .then([refused(1, ADA, RefusalReason::BelowMinimum)]);
}

#[test]
fn redeeming_in_another_currency_is_refused() {
    given([created()])
        .when(C::RedeemCoupon {
            order_id: order(1),
            customer_id: ADA,
            subtotal: Money::new(5_000, Currency::parse("USD").unwrap()),
            now: day(2),
        })
        .then([refused(1, ADA, RefusalReason::CurrencyMismatch)]);
}

#[test]
fn a_customer_cannot_exceed_the_per_customer_limit() {
    given([created(), redeemed(1, ADA, 5_000, 500)])
        .when(redeem(2, ADA, 5_000, day(2)))
        .then([refused(2, ADA, RefusalReason::CustomerLimitReached)]);
}

#[test]
fn nobody_can_exceed_the_global_limit() {
    let carol = Uuid::from_u128(3);
    given([
        created(),
        redeemed(1, ADA, 5_000, 500),
        redeemed(2, BOB, 5_000, 500),
    ])
    .when(redeem(3, carol, 5_000, day(2)))
    .then([refused(3, carol, RefusalReason::GlobalLimitReached)]);
}

#[test]
fn a_released_redemption_frees_its_use() {
    given([
        created(),
        redeemed(1, ADA, 5_000, 500),
        E::CouponRedemptionReleased {
            order_id: order(1),
            customer_id: ADA,
        },
    ])
    .when(redeem(2, ADA, 5_000, day(2)))
    .then([redeemed(2, ADA, 5_000, 500)]);
}

#[test]
fn redeeming_for_the_same_order_twice_is_a_no_op() {
    given([created(), redeemed(1, ADA, 5_000, 500)])
        .when(redeem(1, ADA, 5_000, day(2)))
        .then_nothing();
}

#[test]
fn releasing_a_redemption_is_idempotent_per_order() {
    let released = E::CouponRedemptionReleased {
        order_id: order(1),
        customer_id: ADA,
    };
    given([created(), redeemed(1, ADA, 5_000, 500)])
        .when(C::ReleaseRedemption { order_id: order(1) })
        .then([released.clone()]);
    given([created(), redeemed(1, ADA, 5_000, 500), released])
        .when(C::ReleaseRedemption { order_id: order(1) })
        .then_nothing();
    given([created()])
        .when(C::ReleaseRedemption { order_id: order(9) })
        .then_nothing();
}

#[test]
fn a_disabled_coupon_refuses_redemptions_and_a_second_disable() {
    given([created()])
        .when(C::DisableCoupon {})
        .then([E::CouponDisabled {}]);
    given([created(), E::CouponDisabled {}])
        .when(redeem(1, ADA, 5_000, day(2)))
        .then([refused(1, ADA, RefusalReason::Disabled)]);
    given([created(), E::CouponDisabled {}])
        .when(C::DisableCoupon {})
        .then_err(CouponError::Disabled);
}

#[test]
fn quote_agrees_with_redemption() {
    let state = given([created()]).state().clone();
    assert_eq!(state.quote(ADA, eur(2_005), day(2)), Some(Ok(eur(201))));
    assert_eq!(
        state.quote(ADA, eur(100), day(2)),
        Some(Err(RefusalReason::BelowMinimum))
    );
    assert_eq!(Coupon::default().quote(ADA, eur(100), day(2)), None);
}

#[test]
fn discounts_serialize_with_a_kind_tag() {
    let json = serde_json::to_value(Discount::Percentage {
        basis_points: 1_000,
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "percentage", "basis_points": 1000})
    );
}
