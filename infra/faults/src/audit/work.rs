//! What the saga (and the expiry ticker) still owe, from the folded log. The settle phase waits
//! until nothing is owed; whatever is still owed at its deadline is a stuck saga.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{inventory::ReservationStatus, order::OrderStatus, payment::PaymentStatus};
use uuid::Uuid;

use super::model::Model;

/// Grace after a reservation's expiry before the ticker is said to owe it (it ticks every
/// second; a frozen broker or a dead processor delays it).
const EXPIRY_GRACE: Duration = Duration::from_secs(10);

/// Work still owed, and work that only waits for time to pass.
#[derive(Debug, Default, Clone)]
pub struct Owed {
    /// Steps some process should have taken (after the settle deadline: a stuck saga).
    pub owed: Vec<String>,
    /// Reservations of unpaid orders that have not reached their expiry yet.
    pub waiting_for_expiry: usize,
    /// Paid orders whose reservation expired first (documented escalation, CHECKOUT.md #12).
    pub escalations: Vec<String>,
}

impl Owed {
    /// Nothing left to do or wait for.
    pub fn is_settled(&self) -> bool {
        self.owed.is_empty() && self.waiting_for_expiry == 0
    }
}

/// Computes what is owed at `now`.
pub fn owed(model: &Model, now: DateTime<Utc>) -> Owed {
    let mut owed = Owed::default();
    for (order_id, track) in &model.orders {
        match track.order.status() {
            OrderStatus::Placed => owed.owed.push(format!("order-{order_id}: still placed")),
            OrderStatus::Confirmed => {
                let holds = model.stock.values().any(|s| {
                    s.item
                        .reservations()
                        .any(|(o, _, r)| o == *order_id && r.status == ReservationStatus::Held)
                });
                if !holds {
                    owed.owed.push(format!(
                        "order-{order_id}: confirmed without held stock, not cancelled"
                    ));
                }
            }
            _ => {}
        }
    }
    for (sku, stock) in &model.stock {
        for (order_id, line, reservation) in stock.item.reservations() {
            let status = model.orders.get(&order_id).map(|t| t.order.status());
            match reservation.status {
                ReservationStatus::Held => match status {
                    Some(OrderStatus::Rejected | OrderStatus::Cancelled | OrderStatus::Refunded) => owed
                        .owed
                        .push(format!("inventory-{sku}: order-{order_id} line {line} closed but still held")),
                    Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered) => owed
                        .owed
                        .push(format!("inventory-{sku}: order-{order_id} line {line} paid but not committed")),
                    _ => match reservation.expires_at {
                        Some(at) if at + EXPIRY_GRACE < now => owed
                            .owed
                            .push(format!("inventory-{sku}: order-{order_id} line {line} expired at {at}, still held")),
                        _ => owed.waiting_for_expiry += 1,
                    },
                },
                ReservationStatus::Expired
                    if matches!(status, Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered)) =>
                {
                    owed.escalations.push(format!("inventory-{sku}: order-{order_id} line {line} paid after its reservation expired"));
                }
                _ => {}
            }
        }
    }
    for (payment_id, track) in &model.payments {
        let status = track.payment.status();
        if matches!(status, PaymentStatus::Initiated | PaymentStatus::Authorized) {
            owed.owed
                .push(format!("payment-{payment_id}: still {status:?}"));
            continue;
        }
        let kept = track.payment.captured_minor() - track.payment.refunded_minor();
        let expected = expected_kept(model, *payment_id, track.order_id());
        if kept != expected {
            owed.owed.push(format!(
                "payment-{payment_id}: keeps {kept}, should keep {expected} (order-{})",
                track.order_id().map(|o| o.to_string()).unwrap_or_default()
            ));
        }
    }
    owed
}

/// What a payment should keep once everything settled: the paid amount less refunds if it paid
/// an order that was not cancelled, otherwise nothing.
fn expected_kept(model: &Model, payment_id: Uuid, order_id: Option<Uuid>) -> i64 {
    let Some(track) = order_id.and_then(|id| model.orders.get(&id)) else {
        return 0;
    };
    if track.paying_payment != Some(payment_id) || track.order.status() == OrderStatus::Cancelled {
        return 0;
    }
    track.order.paid().map_or(0, |paid| paid.amount_minor) - track.order.refunded_minor()
}
