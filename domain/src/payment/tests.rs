//! Payment rules, one sentence per test.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use crate::values::Currency;
use PaymentCommand as C;
use PaymentEvent as E;

const PAYMENT: Uuid = Uuid::from_u128(1);
const ORDER: Uuid = Uuid::from_u128(2);

fn given(events: impl IntoIterator<Item = PaymentEvent>) -> Given<Payment> {
    testing::given(events)
}

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn initiate(key: &str) -> PaymentCommand {
    C::InitiatePayment {
        payment_id: PAYMENT,
        order_id: ORDER,
        amount: eur(2_500),
        method: PaymentMethod::Card,
        instrument_token: "tok_approve".into(),
        idempotency_key: key.into(),
    }
}

fn initiated() -> PaymentEvent {
    E::PaymentInitiated {
        payment_id: PAYMENT,
        order_id: ORDER,
        amount: eur(2_500),
        method: PaymentMethod::Card,
        instrument_token: "tok_approve".into(),
        idempotency_key: "key-1".into(),
    }
}

fn authorized() -> Vec<PaymentEvent> {
    vec![
        initiated(),
        E::PaymentAuthorized {
            amount: eur(2_500),
            provider_reference: "auth-1".into(),
        },
    ]
}

fn captured() -> Vec<PaymentEvent> {
    let mut history = authorized();
    history.push(E::PaymentCaptured {
        amount: eur(2_500),
        captured_total: eur(2_500),
    });
    history
}

fn refund(id: u128, amount: i64) -> PaymentCommand {
    C::RefundPayment {
        refund_id: Uuid::from_u128(id),
        amount: eur(amount),
    }
}

#[test]
fn stream_id_is_kind_and_uuid() {
    assert_eq!(stream_id(PAYMENT), format!("payment-{PAYMENT}"));
}

#[test]
fn initiating_a_payment_is_accepted() {
    given([]).when(initiate("key-1")).then([initiated()]);
}

#[test]
fn initiating_again_with_the_same_key_is_a_no_op_and_with_another_key_a_conflict() {
    given([initiated()]).when(initiate("key-1")).then_nothing();
    given([initiated()])
        .when(initiate("key-2"))
        .then_err(PaymentError::AlreadyExists);
}

#[test]
fn initiating_a_zero_payment_or_without_key_is_refused() {
    let mut command = initiate("key-1");
    if let C::InitiatePayment { amount, .. } = &mut command {
        *amount = eur(0);
    }
    given([])
        .when(command)
        .then_err(PaymentError::InvalidAmount);
    given([])
        .when(initiate(""))
        .then_err(PaymentError::InvalidReference {
            field: "idempotency_key",
        });
}

#[test]
fn commands_on_a_missing_payment_are_not_found() {
    given([])
        .when(C::CapturePayment { amount: eur(1) })
        .then_err(PaymentError::NotFound);
}

#[test]
fn authorizing_the_requested_amount_is_accepted_and_repeating_it_is_a_no_op() {
    given([initiated()])
        .when(C::AuthorizePayment {
            amount: eur(2_500),
            provider_reference: "auth-1".into(),
        })
        .then(authorized()[1..].to_vec());
    given(authorized())
        .when(C::AuthorizePayment {
            amount: eur(2_500),
            provider_reference: "auth-1".into(),
        })
        .then_nothing();
}

#[test]
fn authorizing_more_than_requested_is_refused() {
    given([initiated()])
        .when(C::AuthorizePayment {
            amount: eur(2_501),
            provider_reference: "auth-1".into(),
        })
        .then_err(PaymentError::AuthorizationExceedsAmount {
            requested: eur(2_500),
        });
}

#[test]
fn capturing_within_the_authorization_is_accepted_in_parts() {
    let state = given(authorized())
        .when(C::CapturePayment { amount: eur(1_000) })
        .then([E::PaymentCaptured {
            amount: eur(1_000),
            captured_total: eur(1_000),
        }]);
    assert_eq!(state.status(), PaymentStatus::Captured);
}

#[test]
fn capturing_more_than_authorized_is_refused() {
    given(captured())
        .when(C::CapturePayment { amount: eur(1) })
        .then_err(PaymentError::CaptureExceedsAuthorized { capturable: eur(0) });
}

#[test]
fn capturing_an_unauthorized_payment_is_refused() {
    given([initiated()])
        .when(C::CapturePayment { amount: eur(1) })
        .then_err(PaymentError::InvalidTransition {
            from: PaymentStatus::Initiated,
            action: "capture",
        });
}

#[test]
fn capturing_in_another_currency_is_refused() {
    given(authorized())
        .when(C::CapturePayment {
            amount: Money::new(1, Currency::parse("USD").unwrap()),
        })
        .then_err(PaymentError::CurrencyMismatch);
}

#[test]
fn declining_an_initiated_payment_is_accepted_but_not_an_authorized_one() {
    given([initiated()])
        .when(C::DeclinePayment {
            reason: "insufficient funds".into(),
        })
        .then([E::PaymentDeclined {
            reason: "insufficient funds".into(),
        }]);
    given(authorized())
        .when(C::DeclinePayment { reason: "x".into() })
        .then_err(PaymentError::InvalidTransition {
            from: PaymentStatus::Authorized,
            action: "decline",
        });
}

#[test]
fn failing_is_accepted_before_capture_and_refused_after() {
    given(authorized())
        .when(C::FailPayment {
            reason: "timeout".into(),
        })
        .then([E::PaymentFailed {
            reason: "timeout".into(),
        }]);
    given(captured())
        .when(C::FailPayment {
            reason: "timeout".into(),
        })
        .then_err(PaymentError::InvalidTransition {
            from: PaymentStatus::Captured,
            action: "fail",
        });
}

#[test]
fn refunding_part_of_a_capture_is_accepted_and_the_rest_makes_it_refunded() {
    given(captured())
        .when(refund(1, 1_000))
        .then([E::PaymentRefunded {
            refund_id: Uuid::from_u128(1),
            amount: eur(1_000),
            refunded_total: eur(1_000),
        }]);
    let mut history = captured();
    history.push(E::PaymentRefunded {
        refund_id: Uuid::from_u128(1),
        amount: eur(1_000),
        refunded_total: eur(1_000),
    });
    let state = given(history)
        .when(refund(2, 1_500))
        .then([E::PaymentRefunded {
            refund_id: Uuid::from_u128(2),
            amount: eur(1_500),
            refunded_total: eur(2_500),
        }]);
    assert_eq!(state.status(), PaymentStatus::Refunded);
}

#[test]
fn refunding_more_than_captured_is_refused() {
    given(captured())
        .when(refund(1, 2_501))
        .then_err(PaymentError::RefundExceedsCaptured {
            refundable: eur(2_500),
        });
}

#[test]
fn refunding_an_uncaptured_payment_is_refused() {
    given(authorized())
        .when(refund(1, 1))
        .then_err(PaymentError::InvalidTransition {
            from: PaymentStatus::Authorized,
            action: "refund",
        });
}

#[test]
fn repeating_a_refund_is_a_no_op() {
    let mut history = captured();
    history.push(E::PaymentRefunded {
        refund_id: Uuid::from_u128(1),
        amount: eur(1_000),
        refunded_total: eur(1_000),
    });
    given(history).when(refund(1, 1_000)).then_nothing();
}
