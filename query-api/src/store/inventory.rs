//! Availability per SKU from `inventory_items`.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Store;
use crate::error::QueryError;

/// One row of `inventory_items`.
#[derive(Debug, Clone, FromRow)]
pub struct InventoryRow {
    /// Stock-keeping unit.
    pub sku: String,
    /// Units physically in stock.
    pub on_hand: i64,
    /// Units held by open reservations.
    pub reserved: i64,
    /// `on_hand - reserved`.
    pub available: i64,
    /// At or below this availability the item counts as low.
    pub low_stock_threshold: i64,
    /// `available <= low_stock_threshold`.
    pub low_stock: bool,
    /// When the last inventory event for this SKU occurred.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Inventory rows of these SKUs, in no particular order (SKUs without a row are absent).
    pub async fn inventory_by_skus(
        &self,
        skus: &[String],
    ) -> Result<Vec<InventoryRow>, QueryError> {
        let rows = sqlx::query_as::<_, InventoryRow>(
            "SELECT sku, on_hand, reserved, available, low_stock_threshold, low_stock, updated_at \
             FROM inventory_items WHERE sku = ANY($1)",
        )
        .bind(skus)
        .fetch_all(self.counted())
        .await?;
        Ok(rows)
    }
}
