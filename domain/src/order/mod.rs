//! Order: one purchase (`order-<uuid>`) and its state machine.
//!
//! ```text
//! placed ──(every line reserved, coupon redeemed)──► confirmed ──► paid ──► shipped ──► delivered
//!   │  └──(a line or the coupon refused)──► rejected        │         │  └──────┬─────────┘
//!   └──────────────► cancelled ◄─────────────────────────────┘  (customer)   full refund
//!                                                                              ▼
//!                                                                          refunded
//! ```
//!
//! Cancellation is possible before shipment (placed, confirmed; paid only by the customer, with
//! the paid amount as `refund_due`). Refunds need a payment and never exceed it; a full refund
//! of a paid, shipped or delivered order makes it `refunded`. Every other transition is
//! [`OrderError::InvalidTransition`]. Saga commands are idempotent: recording the same line
//! twice, rejecting a rejected order or cancelling a cancelled one changes nothing.

mod commands;
mod decide;
mod errors;
mod events;
mod place;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::{OrderCommand, OrderLine};
pub use errors::OrderError;
pub use events::OrderEvent;

use crate::Aggregate;
use crate::values::{Address, CouponCode, Money};

/// Stream name prefix.
pub const KIND: &str = "order";

/// Most lines in one order.
pub const MAX_LINES: usize = 100;

/// The stream of one order: `order-<uuid>`.
pub fn stream_id(order_id: Uuid) -> String {
    format!("{KIND}-{order_id}")
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Waiting for stock (and coupon).
    #[default]
    Placed,
    /// Everything secured; waiting for payment.
    Confirmed,
    /// Payment captured.
    Paid,
    /// With the carrier.
    Shipped,
    /// Arrived.
    Delivered,
    /// Stock or coupon refused.
    Rejected,
    /// Cancelled before shipment.
    Cancelled,
    /// Fully refunded after payment.
    Refunded,
}

impl OrderStatus {
    /// True for statuses no command moves out of.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Rejected | Self::Cancelled | Self::Refunded)
    }

    /// Whether the state machine allows going from `self` to `to` (staying put is not a
    /// transition and is always allowed).
    pub fn can_become(self, to: Self) -> bool {
        use OrderStatus as S;
        self == to
            || matches!(
                (self, to),
                (S::Placed, S::Confirmed | S::Rejected | S::Cancelled)
                    | (S::Confirmed, S::Paid | S::Cancelled)
                    | (S::Paid, S::Shipped | S::Cancelled | S::Refunded)
                    | (S::Shipped, S::Delivered | S::Refunded)
                    | (S::Delivered, S::Refunded)
            )
    }
}

/// Why an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The customer asked.
    Customer,
    /// A reservation expired before payment.
    PaymentTimeout,
}

/// Why an order was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// A line's stock could not be reserved.
    OutOfStock,
    /// The coupon was refused, or granted another discount than the order was priced with.
    CouponRefused,
}

/// What was fixed when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedOrder {
    /// Order id.
    pub order_id: Uuid,
    /// Buyer.
    pub customer_id: Uuid,
    /// Lines.
    pub lines: Vec<OrderLine>,
    /// Sum of line totals.
    pub subtotal: Money,
    /// Coupon discount.
    pub discount: Money,
    /// Amount to pay.
    pub total: Money,
    /// Coupon to redeem.
    pub coupon_code: Option<CouponCode>,
    /// Where to ship.
    pub shipping_address: Address,
}

/// The state of one order. Serializable for snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    placed: Option<PlacedOrder>,
    status: OrderStatus,
    reserved_lines: BTreeSet<u32>,
    refused_lines: BTreeSet<u32>,
    late_lines: BTreeSet<u32>,
    coupon_redeemed: bool,
    late_coupon: bool,
    payment_id: Option<Uuid>,
    paid: Option<Money>,
    refund_ids: BTreeSet<Uuid>,
    refunded_minor: i64,
}

impl Order {
    /// What was placed, once the order exists.
    pub fn placed(&self) -> Option<&PlacedOrder> {
        self.placed.as_ref()
    }

    /// Current status (meaningful once placed).
    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// Lines with stock reserved.
    pub fn reserved_lines(&self) -> &BTreeSet<u32> {
        &self.reserved_lines
    }

    /// Amount captured, once paid.
    pub fn paid(&self) -> Option<Money> {
        self.paid
    }

    /// Sum of refunds, in minor units of the order currency.
    pub fn refunded_minor(&self) -> i64 {
        self.refunded_minor
    }
}

impl Aggregate for Order {
    const KIND: &'static str = KIND;
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;

    fn decide(&self, command: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        decide::decide(self, command)
    }

    fn evolve(mut self, event: &OrderEvent) -> Self {
        use OrderEvent as E;
        match event {
            E::OrderPlaced {
                order_id,
                customer_id,
                lines,
                subtotal,
                discount,
                total,
                coupon_code,
                shipping_address,
            } => {
                self.placed = Some(PlacedOrder {
                    order_id: *order_id,
                    customer_id: *customer_id,
                    lines: lines.clone(),
                    subtotal: *subtotal,
                    discount: *discount,
                    total: *total,
                    coupon_code: coupon_code.clone(),
                    shipping_address: shipping_address.clone(),
                });
                self.status = OrderStatus::Placed;
            }
            E::OrderLineReserved { line } => {
                self.reserved_lines.insert(*line);
            }
            E::OrderLineRefused { line } => {
                self.refused_lines.insert(*line);
            }
            E::OrderCouponRedeemed { .. } => self.coupon_redeemed = true,
            E::OrderConfirmed {} => self.status = OrderStatus::Confirmed,
            E::OrderRejected { .. } => self.status = OrderStatus::Rejected,
            E::LateReservationRecorded { line, .. } => {
                self.late_lines.insert(*line);
            }
            E::LateCouponRedemptionRecorded { .. } => self.late_coupon = true,
            E::OrderPaid { payment_id, amount } => {
                self.payment_id = Some(*payment_id);
                self.paid = Some(*amount);
                self.status = OrderStatus::Paid;
            }
            E::OrderCancelled { .. } => self.status = OrderStatus::Cancelled,
            E::OrderShipped { .. } => self.status = OrderStatus::Shipped,
            E::OrderDelivered {} => self.status = OrderStatus::Delivered,
            E::OrderRefunded {
                refund_id,
                total_refunded,
                ..
            } => {
                self.refund_ids.insert(*refund_id);
                self.refunded_minor = total_refunded.amount_minor;
                let fully = self
                    .paid
                    .is_some_and(|p| p.amount_minor == total_refunded.amount_minor);
                // A cancelled order keeps its status: the refund settles the cancellation.
                if fully && self.status != OrderStatus::Cancelled {
                    self.status = OrderStatus::Refunded;
                }
            }
        }
        self
    }
}
