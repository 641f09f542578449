//! Folding a batch of order events into whole order rows, line states and history rows.

use std::collections::{BTreeMap, HashMap, btree_map::Entry};

use chrono::{DateTime, Utc};
use domain::order::{CancelReason, Order, OrderEvent, RejectReason};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::read_model::EventsOf;

/// The `orders` columns this projection owns (`payment_status` is the payments' to set).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(super) struct OrderRow {
    pub(super) order_id: Uuid,
    pub(super) customer_id: Uuid,
    pub(super) status: String,
    pub(super) subtotal_minor: i64,
    pub(super) discount_minor: i64,
    pub(super) total_minor: i64,
    pub(super) currency: String,
    pub(super) coupon_code: Option<String>,
    pub(super) coupon_redeemed: bool,
    pub(super) shipping_address: Value,
    pub(super) payment_id: Option<Uuid>,
    pub(super) paid_minor: i64,
    pub(super) refunded_minor: i64,
    pub(super) refund_due_minor: i64,
    pub(super) reject_reason: Option<String>,
    pub(super) cancel_reason: Option<String>,
    pub(super) carrier: Option<String>,
    pub(super) tracking_number: Option<String>,
    pub(super) placed_at: DateTime<Utc>,
    pub(super) paid_at: Option<DateTime<Utc>>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) stream_version: i64,
}

/// A line as placed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LineRow {
    pub(super) order_id: Uuid,
    pub(super) line: i32,
    pub(super) sku: String,
    pub(super) product_id: Uuid,
    pub(super) quantity: i32,
    pub(super) unit_price_minor: i64,
    pub(super) currency: String,
}

/// One `order_status_history` row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HistoryRow {
    pub(super) order_id: Uuid,
    pub(super) version: i64,
    pub(super) status: String,
    pub(super) occurred_at: DateTime<Utc>,
    pub(super) detail: Value,
}

/// What a batch changes.
#[derive(Debug, Default)]
pub(super) struct Fold {
    /// Every touched order, whole, by id.
    pub(super) orders: BTreeMap<Uuid, OrderRow>,
    /// Lines of orders placed in the batch.
    pub(super) new_lines: Vec<LineRow>,
    /// The last recorded state of each line whose stock was decided in the batch.
    pub(super) line_states: BTreeMap<(Uuid, i32), &'static str>,
    /// Status history, in log order.
    pub(super) history: Vec<HistoryRow>,
}

/// Order ids the batch touches without placing them: their rows must be loaded first.
pub(super) fn existing_ids(events: &[EventsOf<Order>]) -> Vec<Uuid> {
    let mut placed = Vec::new();
    let mut ids = Vec::new();
    for event in events {
        let Ok(id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if matches!(event.event, OrderEvent::OrderPlaced { .. }) {
            placed.push(id);
        } else if !placed.contains(&id) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn snake<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        _ => String::new(),
    }
}

fn reject_name(reason: RejectReason) -> String {
    snake(&reason)
}

fn cancel_name(reason: CancelReason) -> String {
    snake(&reason)
}

/// Line numbers are `u32` in the domain and at most [`domain::order::MAX_LINES`].
fn line_number(line: u32) -> i32 {
    i32::try_from(line).unwrap_or(i32::MAX)
}

/// Folds `events` onto `rows` (the loaded rows of orders placed in earlier batches).
pub(super) fn fold(mut rows: HashMap<Uuid, OrderRow>, events: &[EventsOf<Order>]) -> Fold {
    let mut fold = Fold::default();
    for event in events {
        let Ok(order_id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if let OrderEvent::OrderPlaced {
            customer_id,
            lines,
            subtotal,
            discount,
            total,
            coupon_code,
            shipping_address,
            ..
        } = &event.event
        {
            fold.orders.insert(
                order_id,
                OrderRow {
                    order_id,
                    customer_id: *customer_id,
                    status: "placed".into(),
                    subtotal_minor: subtotal.amount_minor,
                    discount_minor: discount.amount_minor,
                    total_minor: total.amount_minor,
                    currency: total.currency.as_str().to_string(),
                    coupon_code: coupon_code.as_ref().map(|c| c.as_str().to_string()),
                    coupon_redeemed: false,
                    shipping_address: serde_json::to_value(shipping_address).unwrap_or(Value::Null),
                    payment_id: None,
                    paid_minor: 0,
                    refunded_minor: 0,
                    refund_due_minor: 0,
                    reject_reason: None,
                    cancel_reason: None,
                    carrier: None,
                    tracking_number: None,
                    placed_at: event.occurred_at,
                    paid_at: None,
                    updated_at: event.occurred_at,
                    stream_version: event.version,
                },
            );
            fold.new_lines.extend(lines.iter().map(|line| LineRow {
                order_id,
                line: line_number(line.line),
                sku: line.sku.as_str().to_string(),
                product_id: line.product_id,
                quantity: i32::try_from(line.quantity).unwrap_or(i32::MAX),
                unit_price_minor: line.unit_price.amount_minor,
                currency: line.unit_price.currency.as_str().to_string(),
            }));
            fold.history.push(HistoryRow {
                order_id,
                version: event.version,
                status: "placed".into(),
                occurred_at: event.occurred_at,
                detail: json!({
                    "total_minor": total.amount_minor,
                    "currency": total.currency.as_str(),
                    "lines": lines.len(),
                }),
            });
            continue;
        }
        let row = match fold.orders.entry(order_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => match rows.remove(&order_id) {
                Some(loaded) => entry.insert(loaded),
                None => {
                    tracing::warn!(projection = super::NAME, stream = %event.stream, version = event.version, "event for an order never placed; skipped");
                    continue;
                }
            },
        };
        row.updated_at = event.occurred_at;
        row.stream_version = event.version;
        let history = match &event.event {
            OrderEvent::OrderPlaced { .. } => None,
            OrderEvent::OrderLineReserved { line } => {
                fold.line_states
                    .insert((order_id, line_number(*line)), "reserved");
                None
            }
            OrderEvent::OrderLineRefused { line } => {
                fold.line_states
                    .insert((order_id, line_number(*line)), "refused");
                None
            }
            OrderEvent::OrderCouponRedeemed { .. } => {
                row.coupon_redeemed = true;
                None
            }
            // Released by the saga; the order's own record of the line does not change.
            OrderEvent::LateReservationRecorded { .. }
            | OrderEvent::LateCouponRedemptionRecorded { .. } => None,
            OrderEvent::OrderConfirmed {} => {
                row.status = "confirmed".into();
                Some(json!({}))
            }
            OrderEvent::OrderRejected { reason } => {
                row.status = "rejected".into();
                row.reject_reason = Some(reject_name(*reason));
                Some(json!({ "reason": reject_name(*reason) }))
            }
            OrderEvent::OrderPaid { payment_id, amount } => {
                row.status = "paid".into();
                row.payment_id = Some(*payment_id);
                row.paid_minor = amount.amount_minor;
                row.paid_at = Some(event.occurred_at);
                Some(json!({ "payment_id": payment_id, "amount_minor": amount.amount_minor }))
            }
            OrderEvent::OrderCancelled { reason, refund_due } => {
                row.status = "cancelled".into();
                row.cancel_reason = Some(cancel_name(*reason));
                row.refund_due_minor = refund_due.amount_minor;
                Some(json!({
                    "reason": cancel_name(*reason),
                    "refund_due_minor": refund_due.amount_minor,
                }))
            }
            OrderEvent::OrderShipped {
                carrier,
                tracking_number,
            } => {
                row.status = "shipped".into();
                row.carrier = Some(carrier.clone());
                row.tracking_number = Some(tracking_number.clone());
                Some(json!({ "carrier": carrier, "tracking_number": tracking_number }))
            }
            OrderEvent::OrderDelivered {} => {
                row.status = "delivered".into();
                Some(json!({}))
            }
            OrderEvent::OrderRefunded {
                refund_id,
                amount,
                total_refunded,
                reason,
            } => {
                row.refunded_minor = total_refunded.amount_minor;
                // The domain's rule: a full refund makes the order refunded, except a cancelled
                // one, which the refund only settles.
                let fully = row.paid_at.is_some() && row.paid_minor == total_refunded.amount_minor;
                if fully && row.status != "cancelled" {
                    row.status = "refunded".into();
                }
                Some(json!({
                    "refund_id": refund_id,
                    "amount_minor": amount.amount_minor,
                    "total_refunded_minor": total_refunded.amount_minor,
                    "reason": reason,
                }))
            }
        };
        if let Some(detail) = history {
            fold.history.push(HistoryRow {
                order_id,
                version: event.version,
                status: row.status.clone(),
                occurred_at: event.occurred_at,
                detail,
            });
        }
    }
    fold
}
