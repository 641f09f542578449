//! What the saga knows: the events it reacts to, decoded, and a view folded from them.
//!
//! Events carry only what changed (`OrderRejected` names no lines, `PaymentCaptured` no order),
//! so reactions need the state of the order and payment streams. The saga keeps nothing of its
//! own: the [`View`] is folded from the log with the domain's own `evolve`, from the beginning
//! of every partition at startup (like a processor's hydration), so it is exactly what the log
//! says, and only positions are stored.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::{
    Aggregate,
    coupon::{Coupon, CouponEvent},
    inventory::{InventoryEvent, InventoryItem},
    order::{Order, OrderEvent, OrderStatus},
    payment::{Payment, PaymentEvent, PaymentStatus},
};
use schemas::EventEnvelope;
use uuid::Uuid;

/// Where an event came from: what every command it causes is derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cause {
    /// The event's id: command ids are `v5(event_id, purpose)`.
    pub event_id: Uuid,
    /// The conversation it belongs to, carried into the commands.
    pub correlation_id: Uuid,
    /// When it happened: the clock of every command it causes (so reactions stay pure).
    pub occurred_at: DateTime<Utc>,
}

/// An event the saga reads, typed by its aggregate.
#[derive(Debug, Clone, PartialEq)]
pub enum SagaEvent {
    /// An event of `order-<id>`.
    Order(Uuid, OrderEvent),
    /// An event of `payment-<id>`.
    Payment(Uuid, PaymentEvent),
    /// An event of an inventory stream (reservation events name their order).
    Inventory(InventoryEvent),
    /// An event of a coupon stream (redemption events name their order).
    Coupon(CouponEvent),
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadEventError {
    /// The payload does not match its type.
    #[error(transparent)]
    Decode(#[from] schemas::DecodeError),
    /// The stream id does not carry a uuid where one is expected.
    #[error("stream {0} has no valid id")]
    StreamId(String),
}

impl SagaEvent {
    /// Decodes `envelope` when its stream is one the saga follows; `Ok(None)` for the others.
    pub fn read(envelope: &EventEnvelope) -> Result<Option<(Cause, Self)>, ReadEventError> {
        let cause = Cause {
            event_id: envelope.event_id,
            correlation_id: envelope.correlation_id,
            occurred_at: envelope.occurred_at,
        };
        let Some((kind, id)) = domain::stream::split(&envelope.stream) else {
            return Ok(None);
        };
        let uuid = || {
            id.parse::<Uuid>()
                .map_err(|_| ReadEventError::StreamId(envelope.stream.clone()))
        };
        let event = match kind {
            k if k == Order::KIND => {
                Self::Order(uuid()?, schemas::decode_event::<Order>(envelope)?)
            }
            k if k == Payment::KIND => {
                Self::Payment(uuid()?, schemas::decode_event::<Payment>(envelope)?)
            }
            k if k == InventoryItem::KIND => {
                Self::Inventory(schemas::decode_event::<InventoryItem>(envelope)?)
            }
            k if k == Coupon::KIND => Self::Coupon(schemas::decode_event::<Coupon>(envelope)?),
            _ => return Ok(None),
        };
        Ok(Some((cause, event)))
    }
}

/// One order as the saga sees it.
#[derive(Debug, Clone, Default)]
pub struct OrderView {
    /// The order folded by the domain's `evolve`.
    pub order: Order,
    /// The payment that paid it (`OrderPaid`).
    pub paid_by: Option<Uuid>,
    /// Every payment initiated for it.
    pub payments: BTreeSet<Uuid>,
}

impl OrderView {
    /// Whether money taken by `payment` for this order must go back: another payment paid it,
    /// or it closed (rejected, cancelled, refunded) unpaid. Money of the payment that paid it
    /// goes back only through the order (`OrderCancelled.refund_due`, staff refunds), never here,
    /// so no interleaving refunds it twice.
    pub fn closed_for(&self, payment: Uuid) -> bool {
        match self.paid_by {
            Some(paid) => paid != payment,
            None => matches!(
                self.order.status(),
                OrderStatus::Rejected | OrderStatus::Cancelled | OrderStatus::Refunded
            ),
        }
    }
}

/// One payment as the saga sees it.
#[derive(Debug, Clone, Default)]
pub struct PaymentView {
    /// The payment folded by the domain's `evolve`.
    pub payment: Payment,
    /// The provider's authorization reference, once authorized.
    pub provider_reference: Option<String>,
}

/// Orders, payments and lapsed reservations, folded from the log.
#[derive(Debug, Default)]
pub struct View {
    orders: HashMap<Uuid, OrderView>,
    payments: HashMap<Uuid, PaymentView>,
    expired: HashSet<(Uuid, u32)>,
}

impl View {
    /// Folds one event in.
    pub fn apply(&mut self, event: &SagaEvent) {
        match event {
            SagaEvent::Order(order_id, event) => {
                let view = self.orders.entry(*order_id).or_default();
                view.order = std::mem::take(&mut view.order).evolve(event);
                if let OrderEvent::OrderPaid { payment_id, .. } = event {
                    view.paid_by = Some(*payment_id);
                }
            }
            SagaEvent::Payment(payment_id, event) => {
                let view = self.payments.entry(*payment_id).or_default();
                view.payment = std::mem::take(&mut view.payment).evolve(event);
                if let PaymentEvent::PaymentAuthorized {
                    provider_reference, ..
                } = event
                {
                    view.provider_reference = Some(provider_reference.clone());
                }
                if let PaymentEvent::PaymentInitiated { order_id, .. } = event {
                    self.orders
                        .entry(*order_id)
                        .or_default()
                        .payments
                        .insert(*payment_id);
                }
            }
            SagaEvent::Inventory(InventoryEvent::ReservationExpired { order_id, line, .. }) => {
                self.expired.insert((*order_id, *line));
            }
            SagaEvent::Inventory(_) | SagaEvent::Coupon(_) => {}
        }
    }

    /// The order, if the saga has seen it.
    pub fn order(&self, order_id: Uuid) -> Option<&OrderView> {
        self.orders.get(&order_id)
    }

    /// The payment, if the saga has seen it.
    pub fn payment(&self, payment_id: Uuid) -> Option<&PaymentView> {
        self.payments.get(&payment_id)
    }

    /// Whether the reservation of `(order_id, line)` lapsed.
    pub fn expired(&self, order_id: Uuid, line: u32) -> bool {
        self.expired.contains(&(order_id, line))
    }

    /// Payments of `order_id` that hold captured money not yet given back.
    pub fn captured_payments(&self, order_id: Uuid) -> Vec<(Uuid, &PaymentView)> {
        let Some(order) = self.orders.get(&order_id) else {
            return Vec::new();
        };
        order
            .payments
            .iter()
            .filter_map(|id| self.payments.get(id).map(|p| (*id, p)))
            .filter(|(_, view)| {
                let p = &view.payment;
                p.status() == PaymentStatus::Captured && p.captured_minor() > p.refunded_minor()
            })
            .collect()
    }

    /// Number of orders and payments held.
    pub fn size(&self) -> (usize, usize) {
        (self.orders.len(), self.payments.len())
    }
}
