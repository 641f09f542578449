//! Carts and their lines, from `carts` and `cart_lines`.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::Store;
use crate::error::QueryError;

/// One row of `carts`.
#[derive(Debug, Clone, FromRow)]
pub struct CartRow {
    /// Cart id (also the guest's handle on it).
    pub cart_id: Uuid,
    /// Owner; `None` for a guest cart.
    pub customer_id: Option<Uuid>,
    /// Coupon applied, if any.
    pub coupon_code: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One row of `cart_lines`.
#[derive(Debug, Clone, FromRow)]
pub struct CartLineRow {
    /// The cart.
    pub cart_id: Uuid,
    /// SKU in the cart.
    pub sku: String,
    /// Its product.
    pub product_id: Uuid,
    /// Units.
    pub quantity: i32,
    /// Price per unit when added, minor units.
    pub unit_price_minor: i64,
    /// ISO currency code.
    pub currency: String,
}

impl Store {
    /// The carts with these ids.
    pub async fn carts_by_ids(&self, ids: &[Uuid]) -> Result<Vec<CartRow>, QueryError> {
        Ok(sqlx::query_as::<_, CartRow>(
            "SELECT cart_id, customer_id, coupon_code, created_at, updated_at \
             FROM carts WHERE cart_id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(self.counted())
        .await?)
    }

    /// Every line of these carts, by cart then SKU.
    pub async fn cart_lines_of(&self, cart_ids: &[Uuid]) -> Result<Vec<CartLineRow>, QueryError> {
        Ok(sqlx::query_as::<_, CartLineRow>(
            "SELECT cart_id, sku, product_id, quantity, unit_price_minor, currency \
             FROM cart_lines WHERE cart_id = ANY($1) ORDER BY cart_id, sku",
        )
        .bind(cart_ids)
        .fetch_all(self.counted())
        .await?)
    }
}
