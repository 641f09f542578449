//! Paying, cancelling, shipping, delivering and refunding.

use pretty_assertions::assert_eq;

use super::*;
use OrderCommand as C;
use OrderEvent as E;

fn pay(amount: i64) -> OrderCommand {
    C::MarkOrderPaid {
        payment_id: PAYMENT,
        amount: eur(amount),
    }
}

fn refund(id: u128, amount: i64) -> OrderCommand {
    C::RefundOrder {
        refund_id: Uuid::from_u128(id),
        amount: eur(amount),
        reason: "damaged".into(),
    }
}

fn refunded(id: u128, amount: i64, total: i64) -> OrderEvent {
    E::OrderRefunded {
        refund_id: Uuid::from_u128(id),
        amount: eur(amount),
        total_refunded: eur(total),
        reason: "damaged".into(),
    }
}

#[test]
fn paying_a_confirmed_order_is_accepted() {
    let state = given(confirmed()).when(pay(2_500)).then([E::OrderPaid {
        payment_id: PAYMENT,
        amount: eur(2_500),
    }]);
    assert_eq!(state.status(), OrderStatus::Paid);
}

#[test]
fn paying_another_amount_than_the_total_is_refused() {
    given(confirmed())
        .when(pay(2_000))
        .then_err(OrderError::PaymentAmountMismatch {
            expected: eur(2_500),
            actual: eur(2_000),
        });
}

#[test]
fn paying_an_order_before_confirmation_is_refused() {
    given([placed(0, false)])
        .when(pay(2_500))
        .then_err(OrderError::InvalidTransition {
            from: OrderStatus::Placed,
            action: "pay",
        });
}

#[test]
fn recording_the_same_payment_twice_is_a_no_op_and_another_payment_is_refused() {
    given(paid()).when(pay(2_500)).then_nothing();
    given(paid())
        .when(C::MarkOrderPaid {
            payment_id: Uuid::from_u128(0xEE),
            amount: eur(2_500),
        })
        .then_err(OrderError::AlreadyPaid);
}

#[test]
fn paying_a_cancelled_order_is_refused() {
    given(then(
        confirmed(),
        [E::OrderCancelled {
            reason: CancelReason::PaymentTimeout,
            refund_due: eur(0),
        }],
    ))
    .when(pay(2_500))
    .then_err(OrderError::InvalidTransition {
        from: OrderStatus::Cancelled,
        action: "pay",
    });
}

#[test]
fn cancelling_an_unpaid_order_owes_no_refund() {
    given(confirmed())
        .when(C::CancelOrder {
            reason: CancelReason::PaymentTimeout,
        })
        .then([E::OrderCancelled {
            reason: CancelReason::PaymentTimeout,
            refund_due: eur(0),
        }]);
}

#[test]
fn a_customer_cancelling_a_paid_order_is_owed_a_refund() {
    given(paid())
        .when(C::CancelOrder {
            reason: CancelReason::Customer,
        })
        .then([E::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(2_500),
        }]);
}

#[test]
fn a_payment_timeout_cannot_cancel_a_paid_order() {
    given(paid())
        .when(C::CancelOrder {
            reason: CancelReason::PaymentTimeout,
        })
        .then_err(OrderError::InvalidTransition {
            from: OrderStatus::Paid,
            action: "cancel",
        });
}

#[test]
fn a_shipped_order_cannot_be_cancelled() {
    given(shipped())
        .when(C::CancelOrder {
            reason: CancelReason::Customer,
        })
        .then_err(OrderError::InvalidTransition {
            from: OrderStatus::Shipped,
            action: "cancel",
        });
}

#[test]
fn cancelling_a_cancelled_order_again_is_a_no_op() {
    given(then(
        confirmed(),
        [E::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(0),
        }],
    ))
    .when(C::CancelOrder {
        reason: CancelReason::PaymentTimeout,
    })
    .then_nothing();
}

#[test]
fn shipping_a_paid_order_is_accepted() {
    given(paid())
        .when(C::ShipOrder {
            carrier: "DHL".into(),
            tracking_number: "JD0001".into(),
        })
        .then([E::OrderShipped {
            carrier: "DHL".into(),
            tracking_number: "JD0001".into(),
        }]);
}

#[test]
fn shipping_an_unpaid_order_or_without_tracking_is_refused() {
    given(confirmed())
        .when(C::ShipOrder {
            carrier: "DHL".into(),
            tracking_number: "JD0001".into(),
        })
        .then_err(OrderError::InvalidTransition {
            from: OrderStatus::Confirmed,
            action: "ship",
        });
    given(paid())
        .when(C::ShipOrder {
            carrier: "DHL".into(),
            tracking_number: " ".into(),
        })
        .then_err(OrderError::InvalidShipment);
}

#[test]
fn delivering_a_shipped_order_is_accepted_and_an_unshipped_one_is_refused() {
    given(shipped())
        .when(C::DeliverOrder {})
        .then([E::OrderDelivered {}]);
    given(paid())
        .when(C::DeliverOrder {})
        .then_err(OrderError::InvalidTransition {
            from: OrderStatus::Paid,
            action: "deliver",
        });
}

#[test]
fn a_partial_refund_keeps_the_status_and_a_full_one_makes_the_order_refunded() {
    let state = given(shipped())
        .when(refund(1, 1_000))
        .then([refunded(1, 1_000, 1_000)]);
    assert_eq!(state.status(), OrderStatus::Shipped);
    let state = given(then(shipped(), [refunded(1, 1_000, 1_000)]))
        .when(refund(2, 1_500))
        .then([refunded(2, 1_500, 2_500)]);
    assert_eq!(state.status(), OrderStatus::Refunded);
}

#[test]
fn refunding_more_than_was_paid_is_refused() {
    given(then(shipped(), [refunded(1, 1_000, 1_000)]))
        .when(refund(2, 1_501))
        .then_err(OrderError::RefundExceedsPaid {
            refundable: eur(1_500),
        });
}

#[test]
fn refunding_an_unpaid_order_is_refused() {
    given(confirmed())
        .when(refund(1, 100))
        .then_err(OrderError::NotPaid);
}

#[test]
fn refunding_zero_is_refused() {
    given(paid())
        .when(refund(1, 0))
        .then_err(OrderError::InvalidRefundAmount);
}

#[test]
fn repeating_a_refund_is_a_no_op() {
    given(then(paid(), [refunded(1, 1_000, 1_000)]))
        .when(refund(1, 1_000))
        .then_nothing();
}

#[test]
fn a_cancelled_paid_order_can_be_refunded_and_stays_cancelled() {
    let state = given(then(
        paid(),
        [E::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(2_500),
        }],
    ))
    .when(refund(1, 2_500))
    .then([refunded(1, 2_500, 2_500)]);
    assert_eq!(state.status(), OrderStatus::Cancelled);
}
