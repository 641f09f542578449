//! Placing, reserving, confirming and rejecting.

use pretty_assertions::assert_eq;

use super::*;
use OrderCommand as C;
use OrderEvent as E;

#[test]
fn placing_an_order_whose_amounts_add_up_is_accepted() {
    let state = given([]).when(place(0, false)).then([placed(0, false)]);
    assert_eq!(state.status(), OrderStatus::Placed);
}

#[test]
fn placing_an_order_with_a_coupon_discount_is_accepted() {
    given([]).when(place(500, true)).then([placed(500, true)]);
}

#[test]
fn placing_an_order_twice_is_a_conflict() {
    given([placed(0, false)])
        .when(place(0, false))
        .then_err(OrderError::AlreadyExists);
}

#[test]
fn commands_on_a_missing_order_are_not_found() {
    given([])
        .when(C::RecordLineReserved { line: 1 })
        .then_err(OrderError::NotFound);
    given([])
        .when(C::DeliverOrder {})
        .then_err(OrderError::NotFound);
}

#[test]
fn placing_an_order_whose_subtotal_is_wrong_is_refused() {
    let mut command = place(0, false);
    if let C::PlaceOrder {
        subtotal, total, ..
    } = &mut command
    {
        *subtotal = eur(2_400);
        *total = eur(2_400);
    }
    given([])
        .when(command)
        .then_err(OrderError::SubtotalMismatch {
            expected: eur(2_500),
        });
}

#[test]
fn placing_an_order_whose_total_is_wrong_is_refused() {
    let mut command = place(500, true);
    if let C::PlaceOrder { total, .. } = &mut command {
        *total = eur(2_500);
    }
    given([]).when(command).then_err(OrderError::TotalMismatch {
        expected: eur(2_000),
    });
}

#[test]
fn a_discount_without_coupon_or_above_the_subtotal_is_refused() {
    given([])
        .when(place(500, false))
        .then_err(OrderError::InvalidDiscount);
    given([])
        .when(place(2_600, true))
        .then_err(OrderError::InvalidDiscount);
}

#[test]
fn placing_an_order_without_lines_or_with_repeated_lines_is_refused() {
    let mut command = place(0, false);
    if let C::PlaceOrder {
        lines,
        subtotal,
        total,
        ..
    } = &mut command
    {
        lines.clear();
        *subtotal = eur(0);
        *total = eur(0);
    }
    given([]).when(command).then_err(OrderError::NoLines);
    let mut command = place(0, false);
    if let C::PlaceOrder { lines, .. } = &mut command {
        lines[1].line = 1;
    }
    given([])
        .when(command)
        .then_err(OrderError::DuplicateLine { line: 1 });
}

#[test]
fn placing_an_order_with_mixed_currencies_is_refused() {
    let mut command = place(0, false);
    if let C::PlaceOrder { lines, .. } = &mut command {
        lines[0].unit_price = Money::new(1_000, Currency::parse("USD").unwrap());
    }
    given([])
        .when(command)
        .then_err(OrderError::MixedCurrencies);
}

#[test]
fn placing_an_order_with_a_bad_address_is_refused() {
    let mut command = place(0, false);
    if let C::PlaceOrder {
        shipping_address, ..
    } = &mut command
    {
        shipping_address.line1 = String::new();
    }
    given([])
        .when(command)
        .then_err(OrderError::InvalidAddress { field: "line1" });
}

#[test]
fn reserving_one_of_two_lines_does_not_confirm_yet() {
    given([placed(0, false)])
        .when(C::RecordLineReserved { line: 1 })
        .then([E::OrderLineReserved { line: 1 }]);
}

#[test]
fn reserving_the_last_line_confirms_the_order() {
    let state = given([placed(0, false), E::OrderLineReserved { line: 1 }])
        .when(C::RecordLineReserved { line: 2 })
        .then([E::OrderLineReserved { line: 2 }, E::OrderConfirmed {}]);
    assert_eq!(state.status(), OrderStatus::Confirmed);
}

#[test]
fn recording_the_same_reservation_twice_is_a_no_op() {
    given([placed(0, false), E::OrderLineReserved { line: 1 }])
        .when(C::RecordLineReserved { line: 1 })
        .then_nothing();
}

#[test]
fn recording_a_reservation_for_an_unknown_line_is_refused() {
    given([placed(0, false)])
        .when(C::RecordLineReserved { line: 9 })
        .then_err(OrderError::UnknownLine { line: 9 });
}

#[test]
fn an_order_with_a_coupon_waits_for_the_redemption_to_confirm() {
    let reserved = [
        placed(500, true),
        E::OrderLineReserved { line: 1 },
        E::OrderLineReserved { line: 2 },
    ];
    given(reserved.clone())
        .when(C::RecordCouponRedeemed { discount: eur(500) })
        .then([
            E::OrderCouponRedeemed { discount: eur(500) },
            E::OrderConfirmed {},
        ]);
    given([placed(500, true), E::OrderLineReserved { line: 1 }])
        .when(C::RecordLineReserved { line: 2 })
        .then([E::OrderLineReserved { line: 2 }]);
}

#[test]
fn a_coupon_granting_another_discount_rejects_the_order() {
    given([placed(500, true)])
        .when(C::RecordCouponRedeemed { discount: eur(400) })
        .then([E::OrderRejected {
            reason: RejectReason::CouponRefused,
        }]);
}

#[test]
fn a_refused_line_rejects_the_order() {
    let state = given([placed(0, false), E::OrderLineReserved { line: 1 }])
        .when(C::RecordLineRefused { line: 2 })
        .then([
            E::OrderLineRefused { line: 2 },
            E::OrderRejected {
                reason: RejectReason::OutOfStock,
            },
        ]);
    assert_eq!(state.status(), OrderStatus::Rejected);
}

#[test]
fn a_second_refusal_on_a_rejected_order_is_a_no_op() {
    given([
        placed(0, false),
        E::OrderLineRefused { line: 1 },
        E::OrderRejected {
            reason: RejectReason::OutOfStock,
        },
    ])
    .when(C::RecordLineRefused { line: 2 })
    .then_nothing();
}

#[test]
fn a_reservation_arriving_after_rejection_is_flagged_for_release_once() {
    let rejected = vec![
        placed(0, false),
        E::OrderLineRefused { line: 1 },
        E::OrderRejected {
            reason: RejectReason::OutOfStock,
        },
    ];
    let late = E::LateReservationRecorded {
        line: 2,
        sku: sku(2),
    };
    given(rejected.clone())
        .when(C::RecordLineReserved { line: 2 })
        .then([late.clone()]);
    given(then(rejected, [late]))
        .when(C::RecordLineReserved { line: 2 })
        .then_nothing();
}

#[test]
fn a_coupon_redemption_arriving_after_cancellation_is_flagged_for_release() {
    given([
        placed(500, true),
        E::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(0),
        },
    ])
    .when(C::RecordCouponRedeemed { discount: eur(500) })
    .then([E::LateCouponRedemptionRecorded { code: code() }]);
}

#[test]
fn rejecting_a_placed_order_is_accepted_and_a_confirmed_one_is_refused() {
    given([placed(500, true)])
        .when(C::RejectOrder {
            reason: RejectReason::CouponRefused,
        })
        .then([E::OrderRejected {
            reason: RejectReason::CouponRefused,
        }]);
    given(confirmed())
        .when(C::RejectOrder {
            reason: RejectReason::CouponRefused,
        })
        .then_err(OrderError::InvalidTransition {
            from: OrderStatus::Confirmed,
            action: "reject",
        });
}
