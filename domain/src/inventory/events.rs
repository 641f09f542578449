//! What happened to an inventory item.
//!
//! Every event that changes quantities carries the resulting absolute `on_hand` and `reserved`,
//! so read models upsert them without re-deriving (available = on_hand − reserved).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::EventType;
use crate::values::Sku;

/// A fact about one SKU's stock. Serialized as `{"type": "StockReserved", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum InventoryEvent {
    /// The SKU's stream was opened, with nothing on hand.
    SkuRegistered {
        /// The SKU.
        sku: Sku,
        /// The product it belongs to.
        product_id: Uuid,
        /// Low-stock threshold.
        low_stock_threshold: u32,
    },
    /// Goods arrived.
    StockReceived {
        /// Units received.
        quantity: u32,
        /// On hand after the event.
        on_hand: u64,
        /// Reserved after the event.
        reserved: u64,
    },
    /// On hand was corrected by hand.
    StockAdjusted {
        /// Change to on hand.
        delta: i64,
        /// Why.
        reason: String,
        /// On hand after the event.
        on_hand: u64,
        /// Reserved after the event.
        reserved: u64,
    },
    /// The low-stock threshold changed.
    LowStockThresholdSet {
        /// New threshold.
        threshold: u32,
    },
    /// Stock is held for an order line.
    StockReserved {
        /// Order.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
        /// Units held.
        quantity: u32,
        /// When the hold lapses.
        expires_at: DateTime<Utc>,
        /// On hand after the event.
        on_hand: u64,
        /// Reserved after the event.
        reserved: u64,
    },
    /// A reservation could not be made: not enough available.
    StockReservationRejected {
        /// Order.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
        /// Units asked for.
        requested: u32,
        /// Units available at the time.
        available: u64,
    },
    /// A held reservation was given back.
    ReservationReleased {
        /// Order.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
        /// Units released.
        quantity: u32,
        /// On hand after the event.
        on_hand: u64,
        /// Reserved after the event.
        reserved: u64,
    },
    /// A held reservation shipped out.
    StockCommitted {
        /// Order.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
        /// Units shipped.
        quantity: u32,
        /// On hand after the event.
        on_hand: u64,
        /// Reserved after the event.
        reserved: u64,
    },
    /// A held reservation lapsed.
    ReservationExpired {
        /// Order.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
        /// Units released.
        quantity: u32,
        /// When it was due.
        expires_at: DateTime<Utc>,
        /// On hand after the event.
        on_hand: u64,
        /// Reserved after the event.
        reserved: u64,
    },
    /// Returned goods went back on hand.
    StockRestocked {
        /// Order the goods were shipped for.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
        /// Units restocked.
        quantity: u32,
        /// On hand after the event.
        on_hand: u64,
        /// Reserved after the event.
        reserved: u64,
    },
    /// Available fell from above the threshold to at or below it.
    LowStockReached {
        /// Available after the change.
        available: u64,
        /// Threshold in force.
        threshold: u32,
    },
    /// Available rose from at or below the threshold to above it.
    BackInStock {
        /// Available after the change.
        available: u64,
        /// Threshold in force.
        threshold: u32,
    },
}

impl EventType for InventoryEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::SkuRegistered { .. } => "SkuRegistered",
            Self::StockReceived { .. } => "StockReceived",
            Self::StockAdjusted { .. } => "StockAdjusted",
            Self::LowStockThresholdSet { .. } => "LowStockThresholdSet",
            Self::StockReserved { .. } => "StockReserved",
            Self::StockReservationRejected { .. } => "StockReservationRejected",
            Self::ReservationReleased { .. } => "ReservationReleased",
            Self::StockCommitted { .. } => "StockCommitted",
            Self::ReservationExpired { .. } => "ReservationExpired",
            Self::StockRestocked { .. } => "StockRestocked",
            Self::LowStockReached { .. } => "LowStockReached",
            Self::BackInStock { .. } => "BackInStock",
        }
    }
}

impl InventoryEvent {
    /// Every event type name, for schema generation and routing tables.
    pub const TYPES: &'static [&'static str] = &[
        "SkuRegistered",
        "StockReceived",
        "StockAdjusted",
        "LowStockThresholdSet",
        "StockReserved",
        "StockReservationRejected",
        "ReservationReleased",
        "StockCommitted",
        "ReservationExpired",
        "StockRestocked",
        "LowStockReached",
        "BackInStock",
    ];

    /// `(on_hand, reserved)` after this event, for events that change quantities.
    pub fn stock_after(&self) -> Option<(u64, u64)> {
        match self {
            Self::StockReceived {
                on_hand, reserved, ..
            }
            | Self::StockAdjusted {
                on_hand, reserved, ..
            }
            | Self::StockReserved {
                on_hand, reserved, ..
            }
            | Self::ReservationReleased {
                on_hand, reserved, ..
            }
            | Self::StockCommitted {
                on_hand, reserved, ..
            }
            | Self::ReservationExpired {
                on_hand, reserved, ..
            }
            | Self::StockRestocked {
                on_hand, reserved, ..
            } => Some((*on_hand, *reserved)),
            _ => None,
        }
    }
}
