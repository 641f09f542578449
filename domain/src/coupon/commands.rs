//! What callers may ask of a coupon.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Discount;
use crate::values::{CouponCode, Money};

/// A request about one coupon. Serialized as `{"type": "RedeemCoupon", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CouponCommand {
    /// Opens the coupon's stream.
    CreateCoupon {
        /// The code (must match the stream id).
        code: CouponCode,
        /// What it takes off.
        discount: Discount,
        /// Smallest subtotal it applies to.
        #[serde(default)]
        min_order_value: Option<Money>,
        /// First instant it can be redeemed.
        valid_from: DateTime<Utc>,
        /// First instant it can no longer be redeemed (after `valid_from`).
        valid_until: DateTime<Utc>,
        /// Most active redemptions overall (none = unlimited).
        #[serde(default)]
        global_limit: Option<u32>,
        /// Most active redemptions per customer (none = unlimited).
        #[serde(default)]
        per_customer_limit: Option<u32>,
    },
    /// Redeems the coupon for an order. A refusal (expired, limit reached…) is not an error
    /// but a `CouponRedemptionRefused` event the checkout saga reacts to. Each order redeems
    /// at most once; repeats are no-ops.
    RedeemCoupon {
        /// The order.
        order_id: Uuid,
        /// The buyer.
        customer_id: Uuid,
        /// The order subtotal the discount is computed from.
        subtotal: Money,
        /// The caller's clock reading, checked against the validity window.
        now: DateTime<Utc>,
    },
    /// Gives an order's redemption back (order rejected or cancelled). Releasing what is not
    /// redeemed is a no-op.
    ReleaseRedemption {
        /// The order.
        order_id: Uuid,
    },
    /// Stops all future redemptions.
    DisableCoupon {},
}
