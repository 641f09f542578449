//! What happened to a coupon.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Discount, RefusalReason};
use crate::EventType;
use crate::values::{CouponCode, Money};

/// A fact about one coupon. Serialized as `{"type": "CouponRedeemed", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum CouponEvent {
    /// The coupon exists.
    CouponCreated {
        /// The code.
        code: CouponCode,
        /// What it takes off.
        discount: Discount,
        /// Smallest subtotal it applies to.
        min_order_value: Option<Money>,
        /// Start of validity.
        valid_from: DateTime<Utc>,
        /// End of validity (exclusive).
        valid_until: DateTime<Utc>,
        /// Most active redemptions overall.
        global_limit: Option<u32>,
        /// Most active redemptions per customer.
        per_customer_limit: Option<u32>,
    },
    /// The coupon was redeemed for an order.
    CouponRedeemed {
        /// The order.
        order_id: Uuid,
        /// The buyer.
        customer_id: Uuid,
        /// The subtotal it was computed from.
        subtotal: Money,
        /// The discount granted.
        discount: Money,
    },
    /// The coupon could not be redeemed for an order.
    CouponRedemptionRefused {
        /// The order.
        order_id: Uuid,
        /// The buyer.
        customer_id: Uuid,
        /// Why.
        reason: RefusalReason,
    },
    /// An order's redemption was given back.
    CouponRedemptionReleased {
        /// The order.
        order_id: Uuid,
        /// The buyer.
        customer_id: Uuid,
    },
    /// No more redemptions.
    CouponDisabled {},
}

impl EventType for CouponEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::CouponCreated { .. } => "CouponCreated",
            Self::CouponRedeemed { .. } => "CouponRedeemed",
            Self::CouponRedemptionRefused { .. } => "CouponRedemptionRefused",
            Self::CouponRedemptionReleased { .. } => "CouponRedemptionReleased",
            Self::CouponDisabled {} => "CouponDisabled",
        }
    }
}

impl CouponEvent {
    /// Every event type name.
    pub const TYPES: &'static [&'static str] = &[
        "CouponCreated",
        "CouponRedeemed",
        "CouponRedemptionRefused",
        "CouponRedemptionReleased",
        "CouponDisabled",
    ];
}
