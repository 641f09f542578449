//! Per-aggregate trackers: each folds its stream with the domain's `evolve` and checks, at every
//! event, the invariants the issue names. Nothing here re-implements a business rule; the
//! trackers only add the bookkeeping the invariants are stated in (sums of receipts, status
//! history, capture counts).

use domain::{
    Aggregate,
    coupon::Coupon,
    inventory::{InventoryEvent, InventoryItem, ReservationStatus},
    order::{Order, OrderEvent, OrderStatus},
    payment::{Payment, PaymentEvent},
};
use schemas::EventEnvelope;
use uuid::Uuid;

use super::Violations;

/// One SKU's stream.
#[derive(Debug, Default, Clone)]
pub struct Stock {
    /// The folded state.
    pub item: InventoryItem,
    received: i64,
    adjusted: i64,
    restocked: i64,
    committed: i64,
}

impl Stock {
    /// Folds one event and checks conservation and non-negativity after it.
    pub fn apply(
        &mut self,
        sku: &str,
        envelope: &EventEnvelope,
        event: &InventoryEvent,
        v: &mut Violations,
    ) {
        use InventoryEvent as E;
        match event {
            E::StockReceived { quantity, .. } => self.received += i64::from(*quantity),
            E::StockAdjusted { delta, .. } => self.adjusted += delta,
            E::StockRestocked { quantity, .. } => self.restocked += i64::from(*quantity),
            E::StockCommitted { quantity, .. } => self.committed += i64::from(*quantity),
            _ => {}
        }
        self.item = std::mem::take(&mut self.item).evolve(event);
        let at = format!("{sku} v{}", envelope.version);
        // The figures the processor wrote into the event, signed, so a wrap would show.
        let field = |name: &str| envelope.data.get(name).and_then(serde_json::Value::as_i64);
        if let (Some(on_hand), Some(reserved)) = (field("on_hand"), field("reserved")) {
            if on_hand < 0 || reserved < 0 || on_hand < reserved {
                v.add(
                    "stock_never_negative",
                    format!("{at}: on_hand {on_hand}, reserved {reserved}"),
                );
            }
            if on_hand != self.item.on_hand() as i64 || reserved != self.item.reserved() as i64 {
                v.add(
                    "stock_conserved",
                    format!(
                        "{at}: event says {on_hand}/{reserved}, the fold {}/{}",
                        self.item.on_hand(),
                        self.item.reserved()
                    ),
                );
            }
        }
        let expected = self.received + self.adjusted + self.restocked - self.committed;
        if expected < 0 {
            v.add(
                "stock_never_negative",
                format!("{at}: received + adjustments − committed = {expected}"),
            );
        }
        if expected != self.item.on_hand() as i64 {
            v.add("stock_conserved", format!("{at}: received {} + adjusted {} + restocked {} − committed {} = {expected}, on hand {}",
                self.received, self.adjusted, self.restocked, self.committed, self.item.on_hand()));
        }
        let held: u64 = self
            .item
            .reservations()
            .filter(|(_, _, r)| r.status == ReservationStatus::Held)
            .map(|(_, _, r)| u64::from(r.quantity))
            .sum();
        if held != self.item.reserved() {
            v.add(
                "stock_conserved",
                format!(
                    "{at}: reserved {} but open reservations hold {held}",
                    self.item.reserved()
                ),
            );
        }
    }
}

/// One order's stream.
#[derive(Debug, Default, Clone)]
pub struct OrderTrack {
    /// The folded state.
    pub order: Order,
    /// Statuses in order of appearance.
    pub history: Vec<OrderStatus>,
    /// The payment that paid it.
    pub paying_payment: Option<Uuid>,
}

impl OrderTrack {
    /// Folds one event and checks the transition.
    pub fn apply(&mut self, stream: &str, event: &OrderEvent, v: &mut Violations) {
        let existed = self.order.placed().is_some();
        if !existed && !matches!(event, OrderEvent::OrderPlaced { .. }) {
            v.add(
                "order_transitions_legal",
                format!("{stream}: first event is {event:?}, not OrderPlaced"),
            );
        }
        if existed && matches!(event, OrderEvent::OrderPlaced { .. }) {
            v.add("order_transitions_legal", format!("{stream}: placed twice"));
        }
        if let OrderEvent::OrderPaid { payment_id, .. } = event {
            self.paying_payment = Some(*payment_id);
        }
        let before = self.order.status();
        self.order = std::mem::take(&mut self.order).evolve(event);
        let after = self.order.status();
        if self.history.is_empty() {
            self.history.push(after);
        } else if after != before {
            if !before.can_become(after) {
                v.add(
                    "order_transitions_legal",
                    format!("{stream}: {before:?} → {after:?} ({:?})", self.history),
                );
            }
            self.history.push(after);
        }
        if let Some(paid) = self.order.paid()
            && self.order.refunded_minor() > paid.amount_minor
        {
            v.add(
                "refunds_within_captures",
                format!(
                    "{stream}: refunded {} of {} paid",
                    self.order.refunded_minor(),
                    paid.amount_minor
                ),
            );
        }
    }
}

/// One payment's stream.
#[derive(Debug, Default, Clone)]
pub struct PaymentTrack {
    /// The folded state.
    pub payment: Payment,
    /// `PaymentCaptured` events seen.
    pub captures: u32,
}

impl PaymentTrack {
    /// Folds one event and checks the money limits.
    pub fn apply(&mut self, stream: &str, event: &PaymentEvent, v: &mut Violations) {
        if matches!(event, PaymentEvent::PaymentCaptured { .. }) {
            self.captures += 1;
            if self.captures > 1 {
                v.add(
                    "payment_captured_once",
                    format!("{stream}: capture number {}", self.captures),
                );
            }
        }
        self.payment = std::mem::take(&mut self.payment).evolve(event);
        let p = &self.payment;
        let initiated = p.initiated().map_or(0, |i| i.amount.amount_minor);
        if !(p.refunded_minor() <= p.captured_minor()
            && p.captured_minor() <= p.authorized_minor()
            && p.authorized_minor() <= initiated)
        {
            v.add(
                "refunds_within_captures",
                format!(
                    "{stream}: refunded {} captured {} authorized {} initiated {initiated}",
                    p.refunded_minor(),
                    p.captured_minor(),
                    p.authorized_minor()
                ),
            );
        }
    }

    /// The order it pays for.
    pub fn order_id(&self) -> Option<Uuid> {
        self.payment.initiated().map(|i| i.order_id)
    }
}

/// Checks a coupon's limits after one event.
pub fn apply_coupon(
    coupon: &mut Coupon,
    stream: &str,
    envelope: &EventEnvelope,
    event: &<Coupon as Aggregate>::Event,
    v: &mut Violations,
) {
    *coupon = std::mem::take(coupon).evolve(event);
    let Some(terms) = coupon.terms() else {
        return;
    };
    if let Some(limit) = terms.global_limit
        && coupon.active_redemptions() > limit as usize
    {
        v.add(
            "coupon_limits",
            format!(
                "{stream} v{}: {} active, global limit {limit}",
                envelope.version,
                coupon.active_redemptions()
            ),
        );
    }
    let customer = envelope
        .data
        .get("customer_id")
        .and_then(|c| c.as_str())
        .and_then(|c| c.parse::<Uuid>().ok());
    if let (Some(limit), Some(customer)) = (terms.per_customer_limit, customer)
        && coupon.active_redemptions_of(customer) > limit as usize
    {
        v.add(
            "coupon_limits",
            format!(
                "{stream} v{}: customer {customer} holds {}, limit {limit}",
                envelope.version,
                coupon.active_redemptions_of(customer)
            ),
        );
    }
}
