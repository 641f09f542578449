//! Money invariants of a payment under random command sequences.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::values::Currency;

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn command() -> impl Strategy<Value = PaymentCommand> {
    prop_oneof![
        (0i64..1_200, 0u8..3).prop_map(|(a, r)| PaymentCommand::AuthorizePayment {
            amount: eur(a),
            provider_reference: format!("auth-{r}"),
        }),
        (0i64..700).prop_map(|a| PaymentCommand::CapturePayment { amount: eur(a) }),
        Just(PaymentCommand::DeclinePayment {
            reason: "no".into()
        }),
        Just(PaymentCommand::FailPayment {
            reason: "err".into()
        }),
        (0u128..5, 0i64..700).prop_map(|(id, a)| PaymentCommand::RefundPayment {
            refund_id: Uuid::from_u128(id),
            amount: eur(a),
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_command_sequence_captures_more_than_authorized_or_refunds_more_than_captured(
        commands in proptest::collection::vec(command(), 1..40)
    ) {
        let mut state = Payment::default().evolve(&PaymentEvent::PaymentInitiated {
            payment_id: Uuid::from_u128(1),
            order_id: Uuid::from_u128(2),
            amount: eur(1_000),
            method: PaymentMethod::Card,
            instrument_token: "tok".into(),
            idempotency_key: "k".into(),
        });
        for command in commands {
            let Ok(events) = state.decide(command) else { continue };
            for event in &events {
                state = state.evolve(event);
            }
            prop_assert!(state.authorized_minor() <= 1_000);
            prop_assert!(state.captured_minor() <= state.authorized_minor());
            prop_assert!(state.refunded_minor() <= state.captured_minor());
            prop_assert!(state.refunded_minor() >= 0);
        }
    }
}
