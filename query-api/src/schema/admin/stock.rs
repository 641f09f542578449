//! Stock views of the admin schema: low-stock SKUs and the reservations holding them.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    pagination::PageInfo,
    schema::{inventory::Inventory, loaders},
    store::admin::ReservationRow,
};

/// Stock of one SKU, with the reservations holding it.
pub struct StockItem(pub(super) Inventory);

/// Stock of one SKU, with the reservations holding it.
#[Object]
impl StockItem {
    /// The stock figures.
    async fn inventory(&self) -> &Inventory {
        &self.0
    }

    /// Reserved lines of orders not yet paid, oldest first.
    async fn reservations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Reservation>> {
        let rows = loaders(ctx)?
            .commerce
            .reservations
            .load_one(self.0.0.sku.clone())
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Reservation::from).collect())
    }
}

/// A low-stock SKU and its cursor.
#[derive(SimpleObject)]
pub struct StockEdge {
    /// Pass as `after` to continue after this SKU.
    pub cursor: String,
    /// The SKU's stock.
    pub node: StockItem,
}

/// A page of low-stock SKUs.
#[derive(SimpleObject)]
pub struct StockConnection {
    /// The SKUs of this page.
    pub edges: Vec<StockEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
}

/// Units an open order holds.
#[derive(Debug, Clone, SimpleObject)]
pub struct Reservation {
    /// The order.
    pub order_id: ID,
    /// Its line.
    pub line: i32,
    /// Units held.
    pub quantity: i32,
    /// `placed` or `confirmed`.
    pub order_status: String,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
}

impl From<ReservationRow> for Reservation {
    fn from(row: ReservationRow) -> Self {
        Self {
            order_id: ID(row.order_id.to_string()),
            line: row.line,
            quantity: row.quantity,
            order_status: row.order_status,
            placed_at: row.placed_at,
        }
    }
}
