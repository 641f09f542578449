//! Reconciliation: what the checkouts still in flight need, once, when the saga starts on a log
//! it has no position in (a new log epoch: genesis or a restore).
//!
//! The saga then folds the whole log without reacting and feeds every record to a [`Ledger`]:
//! the events its reactions start from (by order), what inventory, coupons and payments did
//! since, and the ids of the commands the log already answered. [`Ledger::reconcile`] then
//! looks at every checkout with the view of the whole log: each causing event whose step is
//! not done yet (a placed order without its reservations, a confirmed one with a capture not
//! marked paid, an authorization not captured, a paid order's stock not committed, a rejected
//! or cancelled order still holding stock, coupon or money, a staff refund not refunded…) is
//! reacted to again with the live rules ([`reactions::react`]), so commands and provider calls
//! carry the ids the live saga would have used, and what the log already answered is dropped.
//! Repeating a command is harmless (the processors answer a known id from the log); this pass
//! only keeps a restored log from being re-driven from its first event.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use domain::{
    coupon::{self, CouponEvent},
    inventory::{self, InventoryEvent},
    order::{self, OrderEvent, OrderStatus},
    payment::{self, PaymentEvent, PaymentStatus},
};
use runtime::log::Counted;
use uuid::Uuid;

use super::{
    reactions::{self, Reaction, Rules},
    view::{Cause, SagaEvent, View},
};

/// What inventory last said about one line of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Reserved and still held.
    Held,
    /// Refused, released, expired, committed or restocked: nothing to release.
    Settled,
    /// Committed: stock sold, restocked only when the order is fully refunded.
    Committed,
}

/// One checkout (an order and everything naming it), as far as reconciliation cares.
#[derive(Debug, Default)]
struct Checkout {
    /// Events reactions start from, in the order they were read.
    causes: Vec<(Cause, SagaEvent)>,
    lines: BTreeMap<u32, Line>,
    /// Lines the order recorded as reserved (in time or late).
    recorded: BTreeSet<u32>,
    /// Lines the order recorded as refused.
    refused: BTreeSet<u32>,
    coupon_held: bool,
    coupon_recorded: bool,
}

/// What the startup fold learnt, for one reconciliation pass.
#[derive(Debug, Default)]
pub struct Ledger {
    checkouts: HashMap<Uuid, Checkout>,
    /// Orders in the order they were first seen, so re-emission follows the log.
    seen: Vec<Uuid>,
    /// Ids of commands the log answered (commit or rejection) on the streams the saga drives.
    answered: HashSet<Uuid>,
    /// Refund ids a payment recorded.
    refunded: HashSet<Uuid>,
}

/// The outcome of a reconciliation pass.
#[derive(Debug, Default, PartialEq)]
pub struct Reconciliation {
    /// Commands, provider calls and escalations still due, in log order.
    pub reactions: Vec<Reaction>,
    /// Checkouts (orders) that had something still due.
    pub in_flight: usize,
}

impl Ledger {
    /// Notes the command a counted record answers, when its stream is one the saga drives.
    pub fn answer(&mut self, counted: &Counted) {
        let driven = [order::KIND, inventory::KIND, coupon::KIND, payment::KIND];
        if domain::stream::kind_of(counted.stream()).is_some_and(|kind| driven.contains(&kind)) {
            self.answered.insert(counted.command_id());
        }
    }

    /// Notes one event, after the view folded it in (a payment's order comes from the view).
    pub fn observe(&mut self, cause: &Cause, event: &SagaEvent, view: &View) {
        let Some(order_id) = order_of(event, view) else {
            return;
        };
        let cause_too = is_cause(event);
        if !self.checkouts.contains_key(&order_id) {
            self.seen.push(order_id);
        }
        let checkout = self.checkouts.entry(order_id).or_default();
        match event {
            SagaEvent::Order(_, OrderEvent::OrderLineReserved { line })
            | SagaEvent::Order(_, OrderEvent::LateReservationRecorded { line, .. }) => {
                checkout.recorded.insert(*line);
            }
            SagaEvent::Order(_, OrderEvent::OrderLineRefused { line }) => {
                checkout.refused.insert(*line);
            }
            SagaEvent::Order(
                _,
                OrderEvent::OrderCouponRedeemed { .. }
                | OrderEvent::LateCouponRedemptionRecorded { .. },
            ) => checkout.coupon_recorded = true,
            SagaEvent::Inventory(event) => {
                if let Some((line, state)) = line_state(event) {
                    checkout.lines.insert(line, state);
                }
            }
            SagaEvent::Coupon(CouponEvent::CouponRedeemed { .. }) => checkout.coupon_held = true,
            SagaEvent::Coupon(
                CouponEvent::CouponRedemptionReleased { .. }
                | CouponEvent::CouponRedemptionRefused { .. },
            ) => checkout.coupon_held = false,
            SagaEvent::Payment(_, PaymentEvent::PaymentRefunded { refund_id, .. }) => {
                self.refunded.insert(*refund_id);
            }
            _ => {}
        }
        if cause_too {
            checkout.causes.push((*cause, event.clone()));
        }
    }

    /// Everything still due, given the view of the whole log.
    pub fn reconcile(&self, view: &View, rules: &Rules) -> Reconciliation {
        let mut pass = Pass {
            answered: &self.answered,
            commands: HashSet::new(),
            provider_keys: HashSet::new(),
            out: Reconciliation::default(),
        };
        for order_id in &self.seen {
            let Some(checkout) = self.checkouts.get(order_id) else {
                continue;
            };
            let before = pass.out.reactions.len();
            for (cause, event) in &checkout.causes {
                if self.due(*order_id, checkout, event, view) {
                    let reactions = match event {
                        SagaEvent::Order(_, OrderEvent::OrderConfirmed {}) => {
                            self.on_confirmed(cause, *order_id, checkout, view, rules)
                        }
                        _ => reactions::react(cause, event, view, rules),
                    };
                    pass.keep(reactions);
                }
            }
            if pass.out.reactions.len() > before {
                pass.out.in_flight += 1;
            }
        }
        pass.out
    }

    /// Whether the step `event` starts is not done yet.
    fn due(&self, order_id: Uuid, checkout: &Checkout, event: &SagaEvent, view: &View) -> bool {
        let order = view.order(order_id);
        let status = order.and_then(|o| o.order.placed().map(|_| o.order.status()));
        let holds = checkout.lines.values().any(|l| *l == Line::Held) || checkout.coupon_held;
        let line_held = |line: &u32| checkout.lines.get(line) == Some(&Line::Held);
        match event {
            SagaEvent::Order(_, event) => match event {
                OrderEvent::OrderPlaced { .. } => status == Some(OrderStatus::Placed),
                OrderEvent::OrderConfirmed {} => {
                    status == Some(OrderStatus::Confirmed)
                        && !view.captured_payments(order_id).is_empty()
                }
                OrderEvent::OrderRejected { .. } => holds,
                OrderEvent::OrderCancelled { .. } => {
                    holds || !view.captured_payments(order_id).is_empty()
                }
                OrderEvent::LateReservationRecorded { line, .. } => line_held(line),
                OrderEvent::LateCouponRedemptionRecorded { .. } => checkout.coupon_held,
                OrderEvent::OrderPaid { payment_id, .. } => {
                    matches!(
                        status,
                        Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered)
                    ) && (checkout.lines.values().any(|l| *l == Line::Held)
                        || view
                            .captured_payments(order_id)
                            .iter()
                            .any(|(id, _)| id != payment_id))
                }
                OrderEvent::OrderRefunded { refund_id, .. } => {
                    !self.refunded.contains(refund_id)
                        || checkout.lines.values().any(|l| *l == Line::Committed)
                }
                _ => false,
            },
            SagaEvent::Inventory(event) => match event {
                InventoryEvent::StockReserved { line, .. } => {
                    line_held(line) && !checkout.recorded.contains(line)
                }
                InventoryEvent::StockReservationRejected { line, .. } => {
                    status == Some(OrderStatus::Placed) && !checkout.refused.contains(line)
                }
                InventoryEvent::ReservationExpired { .. } => {
                    matches!(status, Some(OrderStatus::Placed | OrderStatus::Confirmed))
                }
                _ => false,
            },
            SagaEvent::Coupon(event) => match event {
                CouponEvent::CouponRedeemed { .. } => {
                    checkout.coupon_held && !checkout.coupon_recorded
                }
                CouponEvent::CouponRedemptionRefused { .. } => status == Some(OrderStatus::Placed),
                _ => false,
            },
            SagaEvent::Payment(payment_id, event) => {
                let Some(payment) = view.payment(*payment_id).map(|p| &p.payment) else {
                    return false;
                };
                match event {
                    PaymentEvent::PaymentInitiated { .. } => {
                        payment.status() == PaymentStatus::Initiated
                    }
                    PaymentEvent::PaymentAuthorized { .. } => {
                        payment.status() == PaymentStatus::Authorized
                    }
                    PaymentEvent::PaymentCaptured { .. } => {
                        payment.captured_minor() > payment.refunded_minor()
                            && order.and_then(|o| o.paid_by) != Some(*payment_id)
                    }
                    _ => false,
                }
            }
        }
    }

    /// A confirmed order holding captured payments: each is marked paid by its own capture's
    /// reaction, unless the log refused that one (captured while the order was still placed);
    /// then by the confirmation's, as live.
    fn on_confirmed(
        &self,
        cause: &Cause,
        order_id: Uuid,
        checkout: &Checkout,
        view: &View,
        rules: &Rules,
    ) -> Vec<Reaction> {
        view.captured_payments(order_id)
            .into_iter()
            .filter(|(payment_id, _)| {
                checkout.causes.iter().all(|(captured, event)| match event {
                    SagaEvent::Payment(id, PaymentEvent::PaymentCaptured { .. })
                        if id == payment_id =>
                    {
                        reactions::react(captured, event, view, rules)
                            .iter()
                            .all(|r| command_of(r).is_none_or(|id| self.answered.contains(&id)))
                    }
                    _ => true,
                })
            })
            .filter_map(|(payment_id, payment)| {
                reactions::mark_paid_on_confirmation(cause, order_id, payment_id, payment)
            })
            .collect()
    }
}

/// One reconciliation pass: drops what the log answered and what this pass already emitted.
struct Pass<'a> {
    answered: &'a HashSet<Uuid>,
    commands: HashSet<Uuid>,
    provider_keys: HashSet<String>,
    out: Reconciliation,
}

impl Pass<'_> {
    /// Keeps the reactions of one cause still due. Its escalations are repeated only with a
    /// command still due: a cause whose commands the log answered was reacted to (and its
    /// escalations logged) before.
    fn keep(&mut self, reactions: Vec<Reaction>) {
        let mut kept = Vec::new();
        let mut escalations = Vec::new();
        for reaction in reactions {
            let fresh = match &reaction {
                Reaction::Escalate(_) => {
                    escalations.push(reaction);
                    continue;
                }
                Reaction::Send(envelope) => self.commands.insert(envelope.command_id),
                // Two causes may refund one payment under one refund id (the cancellation and
                // the capture): one provider call is enough.
                Reaction::Call(call) => {
                    self.commands.insert(call.command_id())
                        && self.provider_keys.insert(call.idempotency_key.clone())
                }
            };
            let id = command_of(&reaction);
            if fresh && id.is_some_and(|id| !self.answered.contains(&id)) {
                kept.push(reaction);
            }
        }
        if !kept.is_empty() {
            self.out.reactions.extend(kept);
            self.out.reactions.extend(escalations);
        }
    }
}

/// The id of the command a reaction sends (now, or once the provider answered).
fn command_of(reaction: &Reaction) -> Option<Uuid> {
    match reaction {
        Reaction::Send(envelope) => Some(envelope.command_id),
        Reaction::Call(call) => Some(call.command_id()),
        Reaction::Escalate(_) => None,
    }
}

/// The order an event belongs to, if any.
fn order_of(event: &SagaEvent, view: &View) -> Option<Uuid> {
    match event {
        SagaEvent::Order(order_id, _) => Some(*order_id),
        SagaEvent::Payment(payment_id, _) => view
            .payment(*payment_id)
            .and_then(|p| p.payment.initiated())
            .map(|i| i.order_id),
        SagaEvent::Inventory(event) => match event {
            InventoryEvent::StockReserved { order_id, .. }
            | InventoryEvent::StockReservationRejected { order_id, .. }
            | InventoryEvent::ReservationReleased { order_id, .. }
            | InventoryEvent::StockCommitted { order_id, .. }
            | InventoryEvent::ReservationExpired { order_id, .. }
            | InventoryEvent::StockRestocked { order_id, .. } => Some(*order_id),
            _ => None,
        },
        SagaEvent::Coupon(event) => match event {
            CouponEvent::CouponRedeemed { order_id, .. }
            | CouponEvent::CouponRedemptionRefused { order_id, .. }
            | CouponEvent::CouponRedemptionReleased { order_id, .. } => Some(*order_id),
            _ => None,
        },
    }
}

/// Whether live reactions to `event` can send anything (the others need not be kept).
fn is_cause(event: &SagaEvent) -> bool {
    match event {
        SagaEvent::Order(_, event) => !matches!(
            event,
            OrderEvent::OrderLineReserved { .. }
                | OrderEvent::OrderLineRefused { .. }
                | OrderEvent::OrderCouponRedeemed { .. }
                | OrderEvent::OrderShipped { .. }
                | OrderEvent::OrderDelivered {}
        ),
        SagaEvent::Inventory(event) => matches!(
            event,
            InventoryEvent::StockReserved { .. }
                | InventoryEvent::StockReservationRejected { .. }
                | InventoryEvent::ReservationExpired { .. }
        ),
        SagaEvent::Coupon(event) => matches!(
            event,
            CouponEvent::CouponRedeemed { .. } | CouponEvent::CouponRedemptionRefused { .. }
        ),
        SagaEvent::Payment(_, event) => matches!(
            event,
            PaymentEvent::PaymentInitiated { .. }
                | PaymentEvent::PaymentAuthorized { .. }
                | PaymentEvent::PaymentCaptured { .. }
        ),
    }
}

/// What an inventory event says about its order's line.
fn line_state(event: &InventoryEvent) -> Option<(u32, Line)> {
    match event {
        InventoryEvent::StockReserved { line, .. } => Some((*line, Line::Held)),
        InventoryEvent::StockCommitted { line, .. } => Some((*line, Line::Committed)),
        InventoryEvent::StockReservationRejected { line, .. }
        | InventoryEvent::ReservationReleased { line, .. }
        | InventoryEvent::ReservationExpired { line, .. }
        | InventoryEvent::StockRestocked { line, .. } => Some((*line, Line::Settled)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
