//! What happened to a cart.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::CartLine;
use crate::EventType;
use crate::values::{CouponCode, Money, Sku};

/// A fact about one cart. Serialized as `{"type": "CartLineAdded", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum CartEvent {
    /// The cart exists.
    CartCreated {
        /// Cart id.
        cart_id: Uuid,
        /// Owner, when signed in.
        customer_id: Option<Uuid>,
    },
    /// Units were added to a line (created if new).
    CartLineAdded {
        /// The SKU.
        sku: Sku,
        /// Its product.
        product_id: Uuid,
        /// Units added by this event.
        added: u32,
        /// The line's quantity after the event.
        quantity: u32,
        /// The line's unit price snapshot after the event.
        unit_price: Money,
    },
    /// A line's quantity was set.
    CartLineQuantityChanged {
        /// The SKU.
        sku: Sku,
        /// The new quantity.
        quantity: u32,
    },
    /// A line was removed.
    CartLineRemoved {
        /// The SKU.
        sku: Sku,
    },
    /// A coupon code was attached (replacing any other).
    CouponApplied {
        /// The code.
        code: CouponCode,
    },
    /// The coupon code was detached.
    CouponRemoved {},
    /// A guest cart's lines were merged in.
    CartMerged {
        /// The guest cart.
        source_cart_id: Uuid,
        /// Every line the merge touched, with its quantity and price after the merge.
        lines: Vec<CartLine>,
    },
    /// Every line (and the coupon) was removed.
    CartCleared {},
}

impl EventType for CartEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::CartCreated { .. } => "CartCreated",
            Self::CartLineAdded { .. } => "CartLineAdded",
            Self::CartLineQuantityChanged { .. } => "CartLineQuantityChanged",
            Self::CartLineRemoved { .. } => "CartLineRemoved",
            Self::CouponApplied { .. } => "CouponApplied",
            Self::CouponRemoved {} => "CouponRemoved",
            Self::CartMerged { .. } => "CartMerged",
            Self::CartCleared {} => "CartCleared",
        }
    }
}

impl CartEvent {
    /// Every event type name.
    pub const TYPES: &'static [&'static str] = &[
        "CartCreated",
        "CartLineAdded",
        "CartLineQuantityChanged",
        "CartLineRemoved",
        "CouponApplied",
        "CouponRemoved",
        "CartMerged",
        "CartCleared",
    ];
}
