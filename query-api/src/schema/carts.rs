//! Carts: `cart(token)` and the `Cart` type with its lines.
//!
//! A cart's id is its token. A guest cart (no customer) is readable by anyone holding the
//! id, which is how a visitor keeps a cart before signing in; a customer's cart only by that
//! customer and staff. A cart the caller may not read is `NOT_FOUND`, like a missing one.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{loaders, money::Money, orders::parse_id, products::Product, viewer};
use crate::{
    consistency::{self, Projection},
    error::QueryError,
    store::carts::{CartLineRow, CartRow},
};

/// Cart queries.
#[derive(Default)]
pub struct CartsQuery;

/// Cart queries.
#[Object]
impl CartsQuery {
    /// A cart by its token (the cart id).
    async fn cart(&self, ctx: &Context<'_>, token: ID) -> async_graphql::Result<Option<Cart>> {
        let viewer = viewer(ctx)?;
        let id = parse_id(&token, "cart")?;
        consistency::wait_for(ctx, &[Projection::Carts]).await?;
        match loaders(ctx)?.commerce.carts.load_one(id).await? {
            Some(row)
                if row
                    .customer_id
                    .is_none_or(|owner| viewer.may_read_owned_by(owner)) =>
            {
                Ok(Some(Cart(row)))
            }
            _ => Err(QueryError::NotFound { what: "cart" }.into()),
        }
    }
}

/// A shopping cart.
pub struct Cart(pub CartRow);

/// A shopping cart.
#[Object]
impl Cart {
    /// Cart id (its token).
    async fn id(&self) -> ID {
        ID(self.0.cart_id.to_string())
    }

    /// Owner's account id; null for a guest cart.
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(|id| ID(id.to_string()))
    }

    /// Coupon applied, if any.
    async fn coupon_code(&self) -> Option<&str> {
        self.0.coupon_code.as_deref()
    }

    /// Lines, by SKU.
    #[graphql(complexity = "super::VARIANTS_WEIGHT * child_complexity")]
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CartLine>> {
        let rows = loaders(ctx)?
            .commerce
            .cart_lines
            .load_one(self.0.cart_id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(CartLine).collect())
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One line of a cart.
pub struct CartLine(pub CartLineRow);

/// One line of a cart.
#[Object]
impl CartLine {
    /// SKU.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    /// The product, if visible to the caller.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        Ok(loaders(ctx)?
            .products
            .load_one(self.0.product_id)
            .await?
            .map(Product))
    }

    /// Units.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// Price per unit when added (checkout re-prices from the catalog).
    async fn unit_price(&self) -> Money {
        Money::new(self.0.unit_price_minor, &self.0.currency)
    }

    /// Unit price × quantity.
    async fn line_total(&self) -> Money {
        let total = self
            .0
            .unit_price_minor
            .saturating_mul(i64::from(self.0.quantity));
        Money::new(total, &self.0.currency)
    }
}
