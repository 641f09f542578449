//! Reactions to payments: provider calls, captures, refunds.

use super::*;

#[test]
fn an_initiated_payment_is_authorized_at_the_provider_under_the_derived_command_id() {
    let reactions = when(&mut given(&[placed(None)]), 7, initiated(APPROVE_CARD));
    let call = calls(&reactions)[0];
    assert_eq!(
        call.idempotency_key,
        Uuid::new_v5(&cause(7).event_id, b"authorize").to_string()
    );
    assert_eq!(
        call.request,
        ProviderRequest::Authorize {
            instrument_token: APPROVE_CARD.into(),
            amount: eur(1500)
        }
    );
}

#[test]
fn the_authorization_answer_becomes_authorize_decline_or_fail_under_one_command_id() {
    let reactions = when(&mut given(&[placed(None)]), 7, initiated(APPROVE_CARD));
    let call = calls(&reactions)[0];
    let settled = |answer| match settle(call, answer) {
        Reaction::Send(envelope) => envelope,
        other => panic!("expected a command, got {other:?}"),
    };
    let approved = settled(Ok(ProviderAnswer::Approved {
        reference: "sim_auth_x".into(),
    }));
    assert_eq!(approved.stream, format!("payment-{PAYMENT}"));
    assert_eq!(
        decoded::<PaymentCommand>(&approved),
        PaymentCommand::AuthorizePayment {
            amount: eur(1500),
            provider_reference: "sim_auth_x".into()
        }
    );
    let declined = settled(Ok(ProviderAnswer::Declined {
        reason: "card_declined".into(),
    }));
    assert_eq!(
        decoded::<PaymentCommand>(&declined),
        PaymentCommand::DeclinePayment {
            reason: "card_declined".into()
        }
    );
    let failed = settled(Err(ProviderUnavailable("down".into())));
    assert!(matches!(
        decoded::<PaymentCommand>(&failed),
        PaymentCommand::FailPayment { .. }
    ));
    // Whatever the answer, it is one command: the first decided wins, repeats are answered.
    assert_eq!(approved.command_id, declined.command_id);
    assert_eq!(approved.command_id, failed.command_id);
    assert_eq!(approved.command_id.to_string(), call.idempotency_key);
}

#[test]
fn an_authorized_payment_is_captured_at_the_provider() {
    let mut view = given(&[placed(None), initiated(APPROVE_CARD)]);
    let reactions = when(&mut view, 8, authorized());
    let call = calls(&reactions)[0];
    assert_eq!(
        call.request,
        ProviderRequest::Capture {
            provider_reference: "sim_auth_1".into(),
            amount: eur(1500)
        }
    );
    let Reaction::Send(envelope) = settle(
        call,
        Ok(ProviderAnswer::Approved {
            reference: "cap".into(),
        }),
    ) else {
        panic!("a capture answer is a command");
    };
    assert_eq!(
        decoded::<PaymentCommand>(&envelope),
        PaymentCommand::CapturePayment { amount: eur(1500) }
    );
}

#[test]
fn an_authorized_payment_of_a_cancelled_order_is_failed_instead_of_captured() {
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::PaymentTimeout,
            refund_due: eur(0),
        }),
    ]);
    let reactions = when(&mut view, 8, authorized());
    assert!(calls(&reactions).is_empty());
    assert_eq!(
        decoded::<PaymentCommand>(only_send(&reactions)),
        PaymentCommand::FailPayment {
            reason: "order_closed".into()
        }
    );
}

#[test]
fn a_captured_payment_marks_its_order_paid() {
    let mut view = given(&[placed(None), initiated(APPROVE_CARD), authorized()]);
    let reactions = when(&mut view, 9, captured());
    let sent = only_send(&reactions);
    assert_eq!(sent.stream, format!("order-{ORDER}"));
    assert_eq!(
        decoded::<OrderCommand>(sent),
        OrderCommand::MarkOrderPaid {
            payment_id: PAYMENT,
            amount: eur(1500)
        }
    );
}

#[test]
fn a_payment_captured_after_cancellation_is_refunded() {
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(0),
        }),
    ]);
    let reactions = when(&mut view, 9, captured());
    assert!(sends(&reactions).is_empty(), "the order is not marked paid");
    let call = calls(&reactions)[0];
    assert_eq!(
        call.request,
        ProviderRequest::Refund {
            provider_reference: "sim_auth_1".into(),
            amount: eur(1500)
        }
    );
    let Reaction::Send(envelope) = settle(
        call,
        Ok(ProviderAnswer::Approved {
            reference: "r".into(),
        }),
    ) else {
        panic!("a refund answer is a command");
    };
    assert_eq!(
        decoded::<PaymentCommand>(&envelope),
        PaymentCommand::RefundPayment {
            refund_id: closing_refund_id(PAYMENT),
            amount: eur(1500)
        }
    );
}

#[test]
fn a_cancelled_order_releases_everything_and_refunds_what_is_due() {
    let mut view = given(&[
        placed(Some("SAVE10")),
        initiated(APPROVE_CARD),
        authorized(),
        captured(),
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1400),
        }),
    ]);
    let reactions = when(
        &mut view,
        12,
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(1400),
        }),
    );
    let streams: Vec<&str> = sends(&reactions)
        .iter()
        .map(|e| e.stream.as_str())
        .collect();
    assert_eq!(
        streams,
        ["inventory-SKU-A", "inventory-SKU-B", "coupon-SAVE10"]
    );
    let refund = calls(&reactions);
    assert_eq!(refund.len(), 1);
    assert_eq!(
        refund[0].settles,
        Settles::Refund {
            refund_id: closing_refund_id(PAYMENT),
            amount: eur(1400)
        }
    );
}

#[test]
fn an_unpaid_cancelled_order_refunds_a_payment_captured_for_it_anyway() {
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        captured(),
    ]);
    let reactions = when(
        &mut view,
        12,
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::PaymentTimeout,
            refund_due: eur(0),
        }),
    );
    let refund = calls(&reactions);
    assert_eq!(refund.len(), 1);
    assert_eq!(refund[0].payment_id, PAYMENT);
    assert_eq!(
        refund[0].idempotency_key,
        closing_refund_id(PAYMENT).to_string()
    );
}

#[test]
fn a_cancelled_order_without_money_taken_refunds_nothing() {
    let mut view = given(&[placed(None), initiated(APPROVE_CARD)]);
    let reactions = when(
        &mut view,
        12,
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::PaymentTimeout,
            refund_due: eur(0),
        }),
    );
    assert!(calls(&reactions).is_empty());
    assert_eq!(sends(&reactions).len(), 2, "both lines released");
}

#[test]
fn a_refund_the_provider_refuses_is_escalated() {
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(0),
        }),
    ]);
    let reactions = when(&mut view, 9, captured());
    let refused = settle(
        calls(&reactions)[0],
        Ok(ProviderAnswer::Declined {
            reason: "no".into(),
        }),
    );
    assert!(matches!(
        refused,
        Reaction::Escalate(Escalation {
            reason: "refund_refused",
            ..
        })
    ));
}

#[test]
fn a_payment_captured_for_an_order_another_payment_paid_is_refunded() {
    let other = Uuid::from_u128(0x0d);
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        order(OrderEvent::OrderConfirmed {}),
        order(OrderEvent::OrderPaid {
            payment_id: other,
            amount: eur(1500),
        }),
    ]);
    let reactions = when(&mut view, 9, captured());
    assert!(sends(&reactions).is_empty());
    assert_eq!(
        calls(&reactions)[0].idempotency_key,
        closing_refund_id(PAYMENT).to_string()
    );
}

#[test]
fn the_capture_of_the_payment_that_paid_a_since_cancelled_order_is_not_refunded_twice() {
    // Read back in another interleaving after a restart, the order's cancellation (with its
    // refund due) can come before the capture: the refund belongs to the cancellation only.
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        order(OrderEvent::OrderConfirmed {}),
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1500),
        }),
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(1500),
        }),
    ]);
    let reactions = when(&mut view, 9, captured());
    assert!(calls(&reactions).is_empty(), "{reactions:?}");
    assert_eq!(
        decoded::<OrderCommand>(only_send(&reactions)),
        OrderCommand::MarkOrderPaid {
            payment_id: PAYMENT,
            amount: eur(1500)
        },
        "a repeat the order answers with nothing"
    );
}

#[test]
fn a_payment_captured_before_its_order_was_confirmed_is_marked_paid_on_confirmation() {
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        captured(),
    ]);
    let reactions = when(&mut view, 13, order(OrderEvent::OrderConfirmed {}));
    let sent = only_send(&reactions);
    assert_eq!(
        sent.command_id,
        Uuid::new_v5(
            &cause(13).event_id,
            format!("mark-paid-{PAYMENT}").as_bytes()
        )
    );
    assert_eq!(
        decoded::<OrderCommand>(sent),
        OrderCommand::MarkOrderPaid {
            payment_id: PAYMENT,
            amount: eur(1500)
        }
    );
}

#[test]
fn once_an_order_is_paid_any_other_captured_payment_is_refunded() {
    let other = Uuid::from_u128(0x0d);
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        captured(),
    ]);
    let reactions = when(
        &mut view,
        14,
        order(OrderEvent::OrderPaid {
            payment_id: other,
            amount: eur(1500),
        }),
    );
    assert_eq!(sends(&reactions).len(), 2, "both lines committed");
    let refund = calls(&reactions);
    assert_eq!(refund.len(), 1);
    assert_eq!(refund[0].payment_id, PAYMENT);
    assert_eq!(
        refund[0].settles,
        Settles::Refund {
            refund_id: closing_refund_id(PAYMENT),
            amount: eur(1500)
        }
    );
}

#[test]
fn a_full_refund_returns_the_money_through_the_paying_payment_and_restocks_every_line() {
    let mut view = given(&[
        placed(Some("SAVE10")),
        initiated(APPROVE_CARD),
        authorized(),
        captured(),
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1400),
        }),
    ]);
    let refund_id = Uuid::from_u128(77);
    let reactions = when(
        &mut view,
        12,
        order(OrderEvent::OrderRefunded {
            refund_id,
            amount: eur(1400),
            total_refunded: eur(1400),
            reason: "damaged".into(),
        }),
    );
    let refund = calls(&reactions);
    assert_eq!(refund.len(), 1);
    assert_eq!(
        refund[0].settles,
        Settles::Refund {
            refund_id,
            amount: eur(1400)
        }
    );
    let streams: Vec<&str> = sends(&reactions)
        .iter()
        .map(|e| e.stream.as_str())
        .collect();
    assert_eq!(
        streams,
        ["inventory-SKU-A", "inventory-SKU-B", "coupon-SAVE10"]
    );
    assert!(
        sends(&reactions)
            .iter()
            .all(|e| e.command["type"] == "RestockReturn"
                || e.command["type"] == "ReleaseRedemption")
    );
}

#[test]
fn a_partial_refund_returns_only_that_amount_and_keeps_the_stock_sold() {
    let mut view = given(&[
        placed(None),
        initiated(APPROVE_CARD),
        authorized(),
        captured(),
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1400),
        }),
    ]);
    let reactions = when(
        &mut view,
        12,
        order(OrderEvent::OrderRefunded {
            refund_id: Uuid::from_u128(78),
            amount: eur(400),
            total_refunded: eur(400),
            reason: "late delivery".into(),
        }),
    );
    assert_eq!(calls(&reactions).len(), 1);
    assert!(
        sends(&reactions).is_empty(),
        "a partial refund restocks nothing"
    );
}
