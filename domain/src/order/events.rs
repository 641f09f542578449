//! What happened to an order.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CancelReason, OrderLine, RejectReason};
use crate::EventType;
use crate::values::{Address, CouponCode, Money, Sku};

/// A fact about one order. Serialized as `{"type": "OrderPlaced", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
// Values are built and moved once per decision; boxing the placement would only make
// construction noisier.
#[allow(clippy::large_enum_variant)]
pub enum OrderEvent {
    /// The order exists, waiting for stock (and coupon).
    OrderPlaced {
        /// Order id.
        order_id: Uuid,
        /// Buyer.
        customer_id: Uuid,
        /// Lines.
        lines: Vec<OrderLine>,
        /// Sum of line totals.
        subtotal: Money,
        /// Coupon discount.
        discount: Money,
        /// Amount to pay.
        total: Money,
        /// Coupon to redeem.
        coupon_code: Option<CouponCode>,
        /// Where to ship.
        shipping_address: Address,
    },
    /// Stock for a line is reserved.
    OrderLineReserved {
        /// The line.
        line: u32,
    },
    /// Stock for a line was refused.
    OrderLineRefused {
        /// The line.
        line: u32,
    },
    /// The coupon granted the order's discount.
    OrderCouponRedeemed {
        /// The discount.
        discount: Money,
    },
    /// Every line (and the coupon) is secured.
    OrderConfirmed {},
    /// The order will not go ahead; the saga releases every line and the coupon.
    OrderRejected {
        /// Why.
        reason: RejectReason,
    },
    /// A reservation arrived after the order was rejected or cancelled: it must be released.
    LateReservationRecorded {
        /// The line.
        line: u32,
        /// Its SKU (the inventory stream to release on).
        sku: Sku,
    },
    /// A coupon redemption arrived after the order was rejected or cancelled: it must be
    /// released.
    LateCouponRedemptionRecorded {
        /// The coupon.
        code: CouponCode,
    },
    /// Payment was captured.
    OrderPaid {
        /// The payment.
        payment_id: Uuid,
        /// Amount captured.
        amount: Money,
    },
    /// The order was cancelled before shipment.
    OrderCancelled {
        /// Why.
        reason: CancelReason,
        /// Amount already paid that must be refunded (zero when unpaid).
        refund_due: Money,
    },
    /// The order left the warehouse.
    OrderShipped {
        /// Carrier.
        carrier: String,
        /// Tracking number.
        tracking_number: String,
    },
    /// The order arrived.
    OrderDelivered {},
    /// Money was given back.
    OrderRefunded {
        /// Refund id.
        refund_id: Uuid,
        /// Amount of this refund.
        amount: Money,
        /// Sum of all refunds so far.
        total_refunded: Money,
        /// Why.
        reason: String,
    },
}

impl EventType for OrderEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::OrderPlaced { .. } => "OrderPlaced",
            Self::OrderLineReserved { .. } => "OrderLineReserved",
            Self::OrderLineRefused { .. } => "OrderLineRefused",
            Self::OrderCouponRedeemed { .. } => "OrderCouponRedeemed",
            Self::OrderConfirmed {} => "OrderConfirmed",
            Self::OrderRejected { .. } => "OrderRejected",
            Self::LateReservationRecorded { .. } => "LateReservationRecorded",
            Self::LateCouponRedemptionRecorded { .. } => "LateCouponRedemptionRecorded",
            Self::OrderPaid { .. } => "OrderPaid",
            Self::OrderCancelled { .. } => "OrderCancelled",
            Self::OrderShipped { .. } => "OrderShipped",
            Self::OrderDelivered {} => "OrderDelivered",
            Self::OrderRefunded { .. } => "OrderRefunded",
        }
    }
}

impl OrderEvent {
    /// Every event type name.
    pub const TYPES: &'static [&'static str] = &[
        "OrderPlaced",
        "OrderLineReserved",
        "OrderLineRefused",
        "OrderCouponRedeemed",
        "OrderConfirmed",
        "OrderRejected",
        "LateReservationRecorded",
        "LateCouponRedemptionRecorded",
        "OrderPaid",
        "OrderCancelled",
        "OrderShipped",
        "OrderDelivered",
        "OrderRefunded",
    ];
}
