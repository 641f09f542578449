//! Reactions to payment events and the provider's answers.

use domain::{
    order::{self, OrderCommand},
    payment::{self, PaymentCommand, PaymentEvent},
    values::Money,
};
use uuid::Uuid;

use super::{Escalation, ProviderCall, Reaction, Settles, closing_refund_id, command_id, send};
use crate::saga::{
    provider::{ProviderAnswer, ProviderRequest, ProviderUnavailable},
    view::{Cause, View},
};

pub(super) fn on_payment(
    cause: &Cause,
    payment_id: Uuid,
    event: &PaymentEvent,
    view: &View,
) -> Vec<Reaction> {
    let payment_stream = payment::stream_id(payment_id);
    let order_id = view
        .payment(payment_id)
        .and_then(|p| p.payment.initiated())
        .map(|i| i.order_id);
    let closed = |order_id: Uuid| {
        view.order(order_id)
            .is_some_and(|order| order.closed_for(payment_id))
    };
    match event {
        PaymentEvent::PaymentInitiated {
            amount,
            instrument_token,
            ..
        } => vec![call(
            cause,
            "authorize",
            payment_id,
            ProviderRequest::Authorize {
                instrument_token: instrument_token.clone(),
                amount: *amount,
            },
            Settles::Authorization { amount: *amount },
        )],
        PaymentEvent::PaymentAuthorized {
            amount,
            provider_reference,
        } => match order_id {
            // Taking money for an order that will not ship only to give it back: void instead.
            Some(order_id) if closed(order_id) => vec![send(
                cause,
                "capture",
                payment_stream,
                &PaymentCommand::FailPayment {
                    reason: "order_closed".into(),
                },
            )],
            _ => vec![call(
                cause,
                "capture",
                payment_id,
                ProviderRequest::Capture {
                    provider_reference: provider_reference.clone(),
                    amount: *amount,
                },
                Settles::Capture { amount: *amount },
            )],
        },
        PaymentEvent::PaymentCaptured { captured_total, .. } => {
            let Some(order_id) = order_id else {
                return vec![Reaction::Escalate(Escalation {
                    order_id: None,
                    stream: payment_stream,
                    reason: "payment_without_initiation",
                    detail: "a capture arrived for a payment the saga never saw initiated".into(),
                })];
            };
            if closed(order_id) {
                let reference = view
                    .payment(payment_id)
                    .and_then(|p| p.provider_reference.clone())
                    .unwrap_or_default();
                vec![refund(cause, payment_id, reference, *captured_total)]
            } else {
                vec![send(
                    cause,
                    "mark-paid",
                    order::stream_id(order_id),
                    &OrderCommand::MarkOrderPaid {
                        payment_id,
                        amount: *captured_total,
                    },
                )]
            }
        }
        PaymentEvent::PaymentDeclined { .. }
        | PaymentEvent::PaymentFailed { .. }
        | PaymentEvent::PaymentRefunded { .. } => Vec::new(),
    }
}

/// Turns the provider's answer (after retries) into the payment command that records it.
pub fn settle(
    call: &ProviderCall,
    answer: Result<ProviderAnswer, ProviderUnavailable>,
) -> Reaction {
    let stream = payment::stream_id(call.payment_id);
    let record =
        |command: PaymentCommand| send(&call.cause, &call.purpose, stream.clone(), &command);
    match (call.settles, answer) {
        (Settles::Authorization { amount }, Ok(ProviderAnswer::Approved { reference })) => {
            record(PaymentCommand::AuthorizePayment {
                amount,
                provider_reference: reference,
            })
        }
        (Settles::Authorization { .. }, Ok(ProviderAnswer::Declined { reason })) => {
            record(PaymentCommand::DeclinePayment { reason })
        }
        (Settles::Capture { amount }, Ok(ProviderAnswer::Approved { .. })) => {
            record(PaymentCommand::CapturePayment { amount })
        }
        (Settles::Capture { .. }, Ok(ProviderAnswer::Declined { reason })) => {
            record(PaymentCommand::FailPayment { reason })
        }
        (Settles::Authorization { .. } | Settles::Capture { .. }, Err(unavailable)) => {
            record(PaymentCommand::FailPayment {
                reason: format!("provider_unavailable: {}", unavailable.0),
            })
        }
        (Settles::Refund { refund_id, amount }, Ok(ProviderAnswer::Approved { .. })) => {
            record(PaymentCommand::RefundPayment { refund_id, amount })
        }
        (Settles::Refund { amount, .. }, Ok(ProviderAnswer::Declined { reason })) => {
            Reaction::Escalate(Escalation {
                order_id: None,
                stream,
                reason: "refund_refused",
                detail: format!("the provider refused to refund {amount}: {reason}"),
            })
        }
        (Settles::Refund { amount, .. }, Err(unavailable)) => Reaction::Escalate(Escalation {
            order_id: None,
            stream,
            reason: "refund_unavailable",
            detail: format!("the provider could not refund {amount}: {}", unavailable.0),
        }),
    }
}

fn call(
    cause: &Cause,
    purpose: &str,
    payment_id: Uuid,
    request: ProviderRequest,
    settles: Settles,
) -> Reaction {
    Reaction::Call(ProviderCall {
        idempotency_key: command_id(cause, purpose).to_string(),
        request,
        payment_id,
        settles,
        cause: *cause,
        purpose: purpose.to_string(),
    })
}

pub(super) fn refund(
    cause: &Cause,
    payment_id: Uuid,
    provider_reference: String,
    amount: Money,
) -> Reaction {
    refund_as(
        cause,
        payment_id,
        provider_reference,
        closing_refund_id(payment_id),
        amount,
    )
}

/// A provider refund under a given refund id (a staff refund recorded on the order carries its
/// own id, so partial refunds of one payment stay distinct and each happens once).
pub(super) fn refund_as(
    cause: &Cause,
    payment_id: Uuid,
    provider_reference: String,
    refund_id: Uuid,
    amount: Money,
) -> Reaction {
    Reaction::Call(ProviderCall {
        // The provider key is the refund id, so every path that refunds this payment is one
        // refund at the provider too.
        idempotency_key: refund_id.to_string(),
        request: ProviderRequest::Refund {
            provider_reference,
            amount,
        },
        payment_id,
        settles: Settles::Refund { refund_id, amount },
        cause: *cause,
        purpose: format!("refund-payment-{payment_id}-{refund_id}"),
    })
}
