//! Inventory: `inventory(sku)` and the `Inventory` type (also reached as
//! `Variant.availability`).

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::loaders;
use crate::{
    consistency::{self, Projection},
    error::QueryError,
    store::inventory::InventoryRow,
};

/// Inventory queries.
#[derive(Default)]
pub struct InventoryQuery;

/// Inventory queries.
#[Object]
impl InventoryQuery {
    /// Stock of one SKU; `NOT_FOUND` until inventory has been recorded for it.
    async fn inventory(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> async_graphql::Result<Option<Inventory>> {
        consistency::wait_for(ctx, &[Projection::Inventory]).await?;
        match loaders(ctx)?.inventory.load_one(sku).await? {
            Some(row) => Ok(Some(Inventory(row))),
            None => Err(QueryError::NotFound {
                what: "inventory item",
            }
            .into()),
        }
    }
}

/// Stock of one SKU, as of the last inventory event projected.
pub struct Inventory(pub InventoryRow);

/// Stock of one SKU, as of the last inventory event projected.
#[Object]
impl Inventory {
    /// Stock-keeping unit.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    /// Units physically in stock.
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }

    /// Units held by open reservations (checkouts in progress).
    async fn reserved(&self) -> i64 {
        self.0.reserved
    }

    /// Units that can still be sold: `onHand - reserved`.
    async fn available(&self) -> i64 {
        self.0.available
    }

    /// At or below this availability the SKU counts as low on stock.
    async fn low_stock_threshold(&self) -> i64 {
        self.0.low_stock_threshold
    }

    /// Whether `available <= lowStockThreshold`.
    async fn low_stock(&self) -> bool {
        self.0.low_stock
    }

    /// When the last inventory event for this SKU occurred.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
