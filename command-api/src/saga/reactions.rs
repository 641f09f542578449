//! The checkout saga's rules, pure: one event (plus the [`View`]) in, reactions out.
//!
//! A reaction is a command to send, a call to the payment provider whose answer decides the
//! command ([`settle`]), or an escalation for people. No IO, no clock: every command's id is
//! `v5(cause event id, purpose)` and its `issued_at` is the cause's `occurred_at`, so reacting to
//! the same event twice yields the same commands, which the processors answer once.
//! `docs/CHECKOUT.md` walks through every path.

use chrono::Duration;
use domain::{
    coupon::{self, CouponCommand},
    inventory::{self, InventoryCommand},
    order::{self, OrderCommand, OrderEvent},
    values::Money,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    provider::ProviderRequest,
    view::{Cause, PaymentView, SagaEvent, View},
};
use crate::wire::CommandEnvelope;

pub use payments::settle;

/// The actor of every command the saga sends.
pub const ACTOR: &str = "system:checkout-saga";

/// Knobs of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// How long a reservation holds stock for an unpaid order.
    pub reservation_ttl: Duration,
}

/// What the saga does about one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Reaction {
    /// Produce this command.
    Send(CommandEnvelope),
    /// Ask the provider, then produce the command [`settle`] makes of its answer.
    Call(ProviderCall),
    /// Something the saga must not fix by itself; logged for people.
    Escalate(Escalation),
}

/// A provider call and what its answer turns into.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCall {
    /// Idempotency key at the provider: the id of the command that records the answer.
    pub idempotency_key: String,
    /// The request.
    pub request: ProviderRequest,
    /// The payment the answer is recorded on.
    pub payment_id: Uuid,
    /// What kind of answer it is.
    pub settles: Settles,
    cause: Cause,
    purpose: String,
}

impl ProviderCall {
    /// The id of the command that records the answer: what the log answers when the call was
    /// already settled and recorded.
    pub fn command_id(&self) -> Uuid {
        command_id(&self.cause, &self.purpose)
    }
}

/// Which payment command an answer becomes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Settles {
    /// `AuthorizePayment` / `DeclinePayment` / `FailPayment`.
    Authorization {
        /// Amount asked.
        amount: Money,
    },
    /// `CapturePayment` / `FailPayment`.
    Capture {
        /// Amount asked.
        amount: Money,
    },
    /// `RefundPayment` (or an escalation when the provider will not refund).
    Refund {
        /// The refund's id: one per payment, so every path that refunds it refunds it once.
        refund_id: Uuid,
        /// Amount asked.
        amount: Money,
    },
}

/// A situation the saga cannot repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// The order concerned, when known.
    pub order_id: Option<Uuid>,
    /// The stream of the event that led here.
    pub stream: String,
    /// Machine-readable reason.
    pub reason: &'static str,
    /// Details for the operator.
    pub detail: String,
}

/// The id of the command `purpose` caused by `cause`.
pub fn command_id(cause: &Cause, purpose: &str) -> Uuid {
    Uuid::new_v5(&cause.event_id, purpose.as_bytes())
}

/// The id of the refund that returns `payment_id`'s money after its order closed.
pub fn closing_refund_id(payment_id: Uuid) -> Uuid {
    Uuid::new_v5(&payment_id, b"closing-refund")
}

/// The saga's reactions to `event`, given the view *after* folding it in.
pub fn react(cause: &Cause, event: &SagaEvent, view: &View, rules: &Rules) -> Vec<Reaction> {
    match event {
        SagaEvent::Order(order_id, event) => on_order(cause, *order_id, event, view, rules),
        SagaEvent::Inventory(event) => stock::on_inventory(cause, event, view),
        SagaEvent::Coupon(event) => stock::on_coupon(cause, event),
        SagaEvent::Payment(payment_id, event) => {
            payments::on_payment(cause, *payment_id, event, view)
        }
    }
}

fn on_order(
    cause: &Cause,
    order_id: Uuid,
    event: &OrderEvent,
    view: &View,
    rules: &Rules,
) -> Vec<Reaction> {
    let order_stream = order::stream_id(order_id);
    match event {
        OrderEvent::OrderPlaced {
            customer_id,
            lines,
            subtotal,
            coupon_code,
            ..
        } => {
            let expires_at = cause.occurred_at + rules.reservation_ttl;
            let mut reactions: Vec<Reaction> = lines
                .iter()
                .map(|line| {
                    send(
                        cause,
                        &format!("reserve-line-{}", line.line),
                        inventory::stream_id(&line.sku),
                        &InventoryCommand::ReserveStock {
                            order_id,
                            line: line.line,
                            quantity: line.quantity,
                            expires_at,
                        },
                    )
                })
                .collect();
            if let Some(code) = coupon_code {
                reactions.push(send(
                    cause,
                    "redeem-coupon",
                    coupon::stream_id(code),
                    &CouponCommand::RedeemCoupon {
                        order_id,
                        customer_id: *customer_id,
                        subtotal: *subtotal,
                        now: cause.occurred_at,
                    },
                ));
            }
            reactions
        }
        OrderEvent::OrderRejected { .. } => release_everything(cause, order_id, view),
        OrderEvent::OrderCancelled { refund_due, .. } => {
            let mut reactions = release_everything(cause, order_id, view);
            reactions.extend(refunds_after_cancellation(
                cause, order_id, refund_due, view,
            ));
            reactions
        }
        OrderEvent::LateReservationRecorded { line, sku } => vec![send(
            cause,
            "release-late-line",
            inventory::stream_id(sku),
            &InventoryCommand::ReleaseStock {
                order_id,
                line: *line,
            },
        )],
        OrderEvent::LateCouponRedemptionRecorded { code } => vec![send(
            cause,
            "release-late-coupon",
            coupon::stream_id(code),
            &CouponCommand::ReleaseRedemption { order_id },
        )],
        OrderEvent::OrderConfirmed {} => view
            .captured_payments(order_id)
            .into_iter()
            // Captured while the order was still placed: `MarkOrderPaid` was refused then.
            .filter_map(|(payment_id, p)| mark_paid_on_confirmation(cause, order_id, payment_id, p))
            .collect(),
        OrderEvent::OrderPaid { payment_id, .. } => {
            let Some(placed) = view.order(order_id).and_then(|o| o.order.placed()) else {
                return vec![unknown_order(order_id, &order_stream)];
            };
            // Any other payment that took money for this order gives it back.
            let refunds = view
                .captured_payments(order_id)
                .into_iter()
                .filter(|(id, _)| id != payment_id)
                .filter_map(|(id, p)| {
                    let reference = p.provider_reference.clone()?;
                    let amount = captured_left(&p.payment)?;
                    Some(payments::refund(cause, id, reference, amount))
                });
            let commits = placed.lines.iter().map(|line| {
                if view.expired(order_id, line.line) {
                    // The stock is no longer held: committing would take someone else's.
                    Reaction::Escalate(Escalation {
                        order_id: Some(order_id),
                        stream: order_stream.clone(),
                        reason: "paid_order_reservation_expired",
                        detail: format!(
                            "line {} ({}) was paid after its reservation expired; \
                                 stock was not committed",
                            line.line, line.sku
                        ),
                    })
                } else {
                    send(
                        cause,
                        &format!("commit-line-{}", line.line),
                        inventory::stream_id(&line.sku),
                        &InventoryCommand::CommitStock {
                            order_id,
                            line: line.line,
                        },
                    )
                }
            });
            commits.chain(refunds).collect()
        }
        OrderEvent::OrderRefunded {
            refund_id,
            amount,
            total_refunded,
            ..
        } => refunds::on_refund(cause, order_id, *refund_id, *amount, *total_refunded, view),
        OrderEvent::OrderLineReserved { .. }
        | OrderEvent::OrderLineRefused { .. }
        | OrderEvent::OrderCouponRedeemed { .. }
        | OrderEvent::OrderShipped { .. }
        | OrderEvent::OrderDelivered {} => Vec::new(),
    }
}

/// `MarkOrderPaid` for `payment_id`, captured before the order confirmed (`cause` is the
/// `OrderConfirmed`); `None` for a payment not initiated. Reconciliation asks for one payment.
pub(super) fn mark_paid_on_confirmation(
    cause: &Cause,
    order_id: Uuid,
    payment_id: Uuid,
    payment: &PaymentView,
) -> Option<Reaction> {
    Some(send(
        cause,
        &format!("mark-paid-{payment_id}"),
        order::stream_id(order_id),
        &OrderCommand::MarkOrderPaid {
            payment_id,
            amount: captured_left(&payment.payment)?,
        },
    ))
}

/// `ReleaseStock` for every line and the coupon back: releasing what is not held is a no-op,
/// and a reservation that lands later is released when it is recorded (`LateReservationRecorded`).
fn release_everything(cause: &Cause, order_id: Uuid, view: &View) -> Vec<Reaction> {
    let Some(placed) = view.order(order_id).and_then(|o| o.order.placed()) else {
        return vec![unknown_order(order_id, &order::stream_id(order_id))];
    };
    let mut reactions: Vec<Reaction> = placed
        .lines
        .iter()
        .map(|line| {
            send(
                cause,
                &format!("release-line-{}", line.line),
                inventory::stream_id(&line.sku),
                &InventoryCommand::ReleaseStock {
                    order_id,
                    line: line.line,
                },
            )
        })
        .collect();
    if let Some(code) = &placed.coupon_code {
        reactions.push(send(
            cause,
            "release-coupon",
            coupon::stream_id(code),
            &CouponCommand::ReleaseRedemption { order_id },
        ));
    }
    reactions
}

/// Money to give back once an order is cancelled: what it says is due, or (if it was never
/// marked paid) whatever a payment captured for it anyway. A payment the view has not seen
/// captured yet is refunded when its capture arrives (see `PaymentCaptured`).
fn refunds_after_cancellation(
    cause: &Cause,
    order_id: Uuid,
    refund_due: &Money,
    view: &View,
) -> Vec<Reaction> {
    let Some(order) = view.order(order_id) else {
        return Vec::new();
    };
    let payments: Vec<(Uuid, Money)> = match order.paid_by {
        Some(payment_id) if refund_due.amount_minor > 0 => vec![(payment_id, *refund_due)],
        _ => view
            .captured_payments(order_id)
            .into_iter()
            .filter_map(|(id, p)| Some((id, captured_left(&p.payment)?)))
            .collect(),
    };
    payments
        .into_iter()
        .filter_map(|(payment_id, amount)| {
            let reference = view.payment(payment_id)?.provider_reference.clone()?;
            Some(payments::refund(cause, payment_id, reference, amount))
        })
        .collect()
}

fn send<C: Serialize>(cause: &Cause, purpose: &str, stream: String, command: &C) -> Reaction {
    // Domain commands are enums of plain fields with string keys; serde_json cannot fail on
    // them (it only fails on non-string map keys), so `Null` is unreachable in practice and
    // would be answered `Malformed` by the processor rather than lost silently.
    let command = serde_json::to_value(command).unwrap_or(serde_json::Value::Null);
    Reaction::Send(CommandEnvelope {
        command_id: command_id(cause, purpose),
        stream,
        command,
        actor: ACTOR.to_string(),
        correlation_id: cause.correlation_id,
        causation_id: cause.event_id,
        request_hash: None,
        issued_at: cause.occurred_at,
    })
}

/// Captured money of `payment` not yet refunded, in the payment's currency (`None` before the
/// payment was initiated, when there is none).
fn captured_left(payment: &domain::payment::Payment) -> Option<Money> {
    Some(Money {
        amount_minor: payment.captured_minor() - payment.refunded_minor(),
        currency: payment.initiated()?.amount.currency,
    })
}

fn unknown_order(order_id: Uuid, stream: &str) -> Reaction {
    Reaction::Escalate(Escalation {
        order_id: Some(order_id),
        stream: stream.to_string(),
        reason: "order_not_placed",
        detail: "an order event arrived for an order the saga never saw placed".into(),
    })
}

mod payments;
mod refunds;
mod stock;
#[cfg(test)]
mod tests;
