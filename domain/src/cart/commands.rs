//! What callers may ask of a cart.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{CouponCode, Money, Sku};

/// One cart line: a SKU, a quantity and the unit price seen when it was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CartLine {
    /// The SKU.
    pub sku: Sku,
    /// Its product.
    pub product_id: Uuid,
    /// Units, 1..=[`super::MAX_LINE_QUANTITY`].
    pub quantity: u32,
    /// Price snapshot per unit (looked up by the caller).
    pub unit_price: Money,
}

/// A request about one cart. Serialized as `{"type": "AddCartLine", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CartCommand {
    /// Opens a cart, for a guest (`customer_id` null) or a customer.
    CreateCart {
        /// New cart id.
        cart_id: Uuid,
        /// Owner, when signed in.
        #[serde(default)]
        customer_id: Option<Uuid>,
    },
    /// Adds units of a SKU; if the SKU is already in the cart the quantities add up and the
    /// price snapshot is refreshed.
    AddCartLine {
        /// The SKU.
        sku: Sku,
        /// Its product.
        product_id: Uuid,
        /// Units to add, at least 1.
        quantity: u32,
        /// Current unit price, looked up by the caller.
        unit_price: Money,
    },
    /// Sets a line's quantity. Setting the current quantity is a no-op.
    ChangeCartLineQuantity {
        /// The SKU.
        sku: Sku,
        /// New quantity, 1..=[`super::MAX_LINE_QUANTITY`] (use `RemoveCartLine` for 0).
        quantity: u32,
    },
    /// Removes a line. Removing an absent line is a no-op.
    RemoveCartLine {
        /// The SKU.
        sku: Sku,
    },
    /// Attaches a coupon code; it is checked against the coupon at checkout, not here.
    ApplyCoupon {
        /// The code.
        code: CouponCode,
    },
    /// Detaches the coupon code. A cart without one is left as it is.
    RemoveCoupon {},
    /// Moves a guest cart's lines into this cart (on sign-in). Quantities of the same SKU add
    /// up (capped at the line maximum). Merging the same source twice is a no-op.
    MergeCart {
        /// The guest cart the lines come from.
        source_cart_id: Uuid,
        /// Its lines, as read by the caller.
        lines: Vec<CartLine>,
    },
    /// Empties the cart (after checkout, or on request). An empty cart is left as it is.
    ClearCart {},
}
