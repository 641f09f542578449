//! What callers may ask of an inventory item.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::Sku;

/// A request to change one SKU's stock. Serialized as `{"type": "ReceiveStock", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum InventoryCommand {
    /// Opens the stream for a SKU. Repeating it for the same product is a no-op.
    RegisterSku {
        /// The SKU this stream tracks (must match the stream id).
        sku: Sku,
        /// The product the SKU belongs to.
        product_id: Uuid,
        /// Available quantity at or below which the SKU counts as low on stock.
        low_stock_threshold: u32,
    },
    /// Goods arrived: adds to on hand.
    ReceiveStock {
        /// Units received, greater than zero.
        quantity: u32,
    },
    /// A manual correction (stock count, damage). Refused if it would make available negative.
    AdjustStock {
        /// Change to on hand, non-zero.
        delta: i64,
        /// Why, for the audit trail; non-empty.
        reason: String,
    },
    /// Changes the low-stock threshold. Setting the current value is a no-op.
    SetLowStockThreshold {
        /// New threshold.
        threshold: u32,
    },
    /// Holds stock for an order line until `expires_at`.
    ///
    /// Short stock is not an error: it yields `StockReservationRejected`. Each
    /// `(order_id, line)` reserves at most once; repeats are no-ops.
    ReserveStock {
        /// Order the reservation is for.
        order_id: Uuid,
        /// Line number within the order.
        line: u32,
        /// Units to hold, greater than zero.
        quantity: u32,
        /// When the hold lapses unless committed (see `ExpireReservations`).
        expires_at: DateTime<Utc>,
    },
    /// Gives a held reservation back. Releasing what is not held is a no-op.
    ReleaseStock {
        /// Order the reservation is for.
        order_id: Uuid,
        /// Line number within the order.
        line: u32,
    },
    /// Ships a held reservation out: on hand and reserved both drop. Repeats are no-ops.
    CommitStock {
        /// Order the reservation is for.
        order_id: Uuid,
        /// Line number within the order.
        line: u32,
    },
    /// Releases every held reservation with `expires_at <= now`.
    ExpireReservations {
        /// The caller's clock reading.
        now: DateTime<Utc>,
    },
    /// Returned goods of a committed line go back on hand. One restock per line; repeats are
    /// no-ops.
    RestockReturn {
        /// Order the goods were shipped for.
        order_id: Uuid,
        /// Line number within the order.
        line: u32,
        /// Units back in stock, 1..=committed quantity.
        quantity: u32,
    },
}
