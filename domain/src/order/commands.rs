//! What callers may ask of an order.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CancelReason, RejectReason};
use crate::values::{Address, CouponCode, Money, Sku};

/// One order line, priced when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderLine {
    /// Line number, unique within the order (the reservation key with `order_id`).
    pub line: u32,
    /// The SKU.
    pub sku: Sku,
    /// Its product.
    pub product_id: Uuid,
    /// Units, at least 1.
    pub quantity: u32,
    /// Unit price looked up from the catalog at checkout.
    pub unit_price: Money,
}

/// A request about one order. Serialized as `{"type": "PlaceOrder", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
// Values are built and moved once per decision; boxing the placement would only make
// construction noisier.
#[allow(clippy::large_enum_variant)]
pub enum OrderCommand {
    /// Opens the order. The amounts must add up: `subtotal = Σ unit_price × quantity`,
    /// `0 <= discount <= subtotal` (non-zero only with a coupon), `total = subtotal − discount`.
    PlaceOrder {
        /// New order id.
        order_id: Uuid,
        /// Buyer.
        customer_id: Uuid,
        /// 1..=[`super::MAX_LINES`] lines with unique line numbers, one currency.
        lines: Vec<OrderLine>,
        /// Sum of line totals.
        subtotal: Money,
        /// Coupon discount (zero without coupon).
        discount: Money,
        /// Amount to pay.
        total: Money,
        /// Coupon to redeem, if any.
        #[serde(default)]
        coupon_code: Option<CouponCode>,
        /// Where to ship.
        shipping_address: Address,
    },
    /// The saga saw `StockReserved` for a line. Confirms the order once every line (and the
    /// coupon, if any) is secured. Repeats are no-ops.
    RecordLineReserved {
        /// The line.
        line: u32,
    },
    /// The saga saw `StockReservationRejected` for a line: the order is rejected.
    RecordLineRefused {
        /// The line.
        line: u32,
    },
    /// The saga saw `CouponRedeemed`: the coupon part of the order is secured, provided the
    /// coupon granted the discount the order was priced with.
    RecordCouponRedeemed {
        /// Discount the coupon granted.
        discount: Money,
    },
    /// Rejects a placed order (e.g. the coupon was refused). Repeats are no-ops.
    RejectOrder {
        /// Why.
        reason: RejectReason,
    },
    /// Payment for the confirmed order was captured.
    MarkOrderPaid {
        /// The payment.
        payment_id: Uuid,
        /// Amount captured; must equal the order total.
        amount: Money,
    },
    /// Cancels before shipment. A paid order may only be cancelled by the customer (the
    /// payment is then refunded); repeats are no-ops.
    CancelOrder {
        /// Why.
        reason: CancelReason,
    },
    /// Hands the paid order to a carrier.
    ShipOrder {
        /// Carrier name.
        carrier: String,
        /// Tracking number.
        tracking_number: String,
    },
    /// The carrier delivered the order.
    DeliverOrder {},
    /// Records a refund (full or partial) of a paid order; never more than was paid.
    /// Idempotent per `refund_id`.
    RefundOrder {
        /// Refund id (from the caller).
        refund_id: Uuid,
        /// Amount refunded, greater than zero.
        amount: Money,
        /// Why, for the audit trail.
        reason: String,
    },
}
