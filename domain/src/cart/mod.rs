//! Cart: a shopping cart (`cart-<uuid>`), for a guest or a customer, holding lines with price
//! snapshots and an optional coupon code.
//!
//! Rules: one line per SKU, quantities 1..=[`MAX_LINE_QUANTITY`], at most [`MAX_LINES`]
//! lines, all prices in one currency. Prices are snapshots for display: checkout re-prices
//! from the catalog. The coupon code is only checked by the coupon at checkout.

mod commands;
mod decide;
mod errors;
mod events;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::{CartCommand, CartLine};
pub use errors::CartError;
pub use events::CartEvent;

use crate::Aggregate;
use crate::values::{CouponCode, Currency, Sku};

/// Stream name prefix.
pub const KIND: &str = "cart";

/// Most units of one SKU in a cart.
pub const MAX_LINE_QUANTITY: u32 = 999;

/// Most lines in a cart.
pub const MAX_LINES: usize = 100;

/// The stream of one cart: `cart-<uuid>`.
pub fn stream_id(cart_id: Uuid) -> String {
    format!("{KIND}-{cart_id}")
}

/// The state of one cart. Serializable for snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    cart_id: Option<Uuid>,
    customer_id: Option<Uuid>,
    lines: BTreeMap<Sku, CartLine>,
    coupon: Option<CouponCode>,
    merged_from: BTreeSet<Uuid>,
}

impl Cart {
    /// The cart id, once created.
    pub fn cart_id(&self) -> Option<Uuid> {
        self.cart_id
    }

    /// The owner, when signed in.
    pub fn customer_id(&self) -> Option<Uuid> {
        self.customer_id
    }

    /// Lines by SKU.
    pub fn lines(&self) -> &BTreeMap<Sku, CartLine> {
        &self.lines
    }

    /// The attached coupon code.
    pub fn coupon(&self) -> Option<&CouponCode> {
        self.coupon.as_ref()
    }

    /// The currency of the lines, if any.
    pub fn currency(&self) -> Option<Currency> {
        self.lines.values().next().map(|l| l.unit_price.currency)
    }
}

impl Aggregate for Cart {
    const KIND: &'static str = KIND;
    type Command = CartCommand;
    type Event = CartEvent;
    type Error = CartError;

    fn decide(&self, command: CartCommand) -> Result<Vec<CartEvent>, CartError> {
        decide::decide(self, command)
    }

    fn evolve(mut self, event: &CartEvent) -> Self {
        use CartEvent as E;
        match event {
            E::CartCreated {
                cart_id,
                customer_id,
            } => {
                self.cart_id = Some(*cart_id);
                self.customer_id = *customer_id;
            }
            E::CartLineAdded {
                sku,
                product_id,
                quantity,
                unit_price,
                ..
            } => {
                self.lines.insert(
                    sku.clone(),
                    CartLine {
                        sku: sku.clone(),
                        product_id: *product_id,
                        quantity: *quantity,
                        unit_price: *unit_price,
                    },
                );
            }
            E::CartLineQuantityChanged { sku, quantity } => {
                if let Some(line) = self.lines.get_mut(sku) {
                    line.quantity = *quantity;
                }
            }
            E::CartLineRemoved { sku } => {
                self.lines.remove(sku);
            }
            E::CouponApplied { code } => self.coupon = Some(code.clone()),
            E::CouponRemoved {} => self.coupon = None,
            E::CartMerged {
                source_cart_id,
                lines,
            } => {
                self.merged_from.insert(*source_cart_id);
                for line in lines {
                    self.lines.insert(line.sku.clone(), line.clone());
                }
            }
            E::CartCleared {} => {
                self.lines.clear();
                self.coupon = None;
            }
        }
        self
    }
}
