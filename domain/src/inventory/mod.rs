//! Inventory: one stream per SKU (`inventory-<SKU>`) holding on-hand stock, reservations with
//! expiry, and the low-stock threshold.
//!
//! Invariants: available (`on_hand − reserved`) is never negative, and each reservation, keyed
//! by `(order_id, line)`, is reserved at most once and then released, committed or expired at
//! most once. Commands sent by process managers are idempotent by that key, so redelivery is
//! harmless.

mod commands;
mod decide;
mod errors;
mod events;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::InventoryCommand;
pub use errors::InventoryError;
pub use events::InventoryEvent;

use crate::Aggregate;
use crate::values::Sku;

/// Stream name prefix.
pub const KIND: &str = "inventory";

/// The stream of one SKU: `inventory-<SKU>` (SKU in its normalized uppercase form).
pub fn stream_id(sku: &Sku) -> String {
    format!("{KIND}-{sku}")
}

/// The SKU of an inventory stream id, if it is one.
pub fn sku_from_stream_id(stream: &str) -> Option<Sku> {
    let rest = stream.strip_prefix(KIND)?.strip_prefix('-')?;
    Sku::parse(rest).ok()
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Stock is held.
    Held,
    /// Shipped out.
    Committed,
    /// Given back.
    Released,
    /// Lapsed.
    Expired,
    /// Never held: there was not enough stock.
    Rejected,
}

/// One order line's claim on this SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Units held (or requested, when rejected).
    pub quantity: u32,
    /// When a held reservation lapses.
    pub expires_at: Option<DateTime<Utc>>,
    /// Current status.
    pub status: ReservationStatus,
    /// Units returned to stock after commit.
    pub restocked: u32,
}

/// Registration facts of a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The SKU.
    pub sku: Sku,
    /// Its product.
    pub product_id: Uuid,
}

/// The state of one SKU's stock.
///
/// Serializable so the processor can snapshot it. Settled reservations are kept (not pruned)
/// because they are what makes a redelivered `ReserveStock` or `CommitStock` a no-op.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryItem {
    registration: Option<Registration>,
    on_hand: u64,
    reserved: u64,
    low_stock_threshold: u32,
    reservations: BTreeMap<Uuid, BTreeMap<u32, Reservation>>,
}

impl InventoryItem {
    /// The SKU and product, once registered.
    pub fn registration(&self) -> Option<&Registration> {
        self.registration.as_ref()
    }

    /// Units physically in stock (including reserved ones).
    pub fn on_hand(&self) -> u64 {
        self.on_hand
    }

    /// Units held by reservations.
    pub fn reserved(&self) -> u64 {
        self.reserved
    }

    /// Units that can still be reserved. `on_hand >= reserved` always holds; saturating keeps
    /// this total even on a state built from a corrupt history.
    pub fn available(&self) -> u64 {
        self.on_hand.saturating_sub(self.reserved)
    }

    /// The low-stock threshold.
    pub fn low_stock_threshold(&self) -> u32 {
        self.low_stock_threshold
    }

    /// True when available is at or below the threshold.
    pub fn is_low(&self) -> bool {
        self.available() <= u64::from(self.low_stock_threshold)
    }

    /// The reservation of one order line, in any status.
    pub fn reservation(&self, order_id: Uuid, line: u32) -> Option<&Reservation> {
        self.reservations.get(&order_id)?.get(&line)
    }

    /// Every reservation, keyed by order and line.
    pub fn reservations(&self) -> impl Iterator<Item = (Uuid, u32, &Reservation)> {
        self.reservations
            .iter()
            .flat_map(|(order, lines)| lines.iter().map(move |(line, r)| (*order, *line, r)))
    }

    fn set_reservation(&mut self, order_id: Uuid, line: u32, reservation: Reservation) {
        self.reservations
            .entry(order_id)
            .or_default()
            .insert(line, reservation);
    }

    fn set_status(&mut self, order_id: Uuid, line: u32, status: ReservationStatus) {
        if let Some(r) = self
            .reservations
            .get_mut(&order_id)
            .and_then(|lines| lines.get_mut(&line))
        {
            r.status = status;
        }
    }
}

impl Aggregate for InventoryItem {
    const KIND: &'static str = KIND;
    type Command = InventoryCommand;
    type Event = InventoryEvent;
    type Error = InventoryError;

    fn decide(&self, command: InventoryCommand) -> Result<Vec<InventoryEvent>, InventoryError> {
        decide::decide(self, command)
    }

    fn evolve(mut self, event: &InventoryEvent) -> Self {
        use InventoryEvent as E;
        if let Some((on_hand, reserved)) = event.stock_after() {
            self.on_hand = on_hand;
            self.reserved = reserved;
        }
        match event {
            E::SkuRegistered {
                sku,
                product_id,
                low_stock_threshold,
            } => {
                self.registration = Some(Registration {
                    sku: sku.clone(),
                    product_id: *product_id,
                });
                self.low_stock_threshold = *low_stock_threshold;
            }
            E::LowStockThresholdSet { threshold } => self.low_stock_threshold = *threshold,
            E::StockReserved {
                order_id,
                line,
                quantity,
                expires_at,
                ..
            } => self.set_reservation(
                *order_id,
                *line,
                Reservation {
                    quantity: *quantity,
                    expires_at: Some(*expires_at),
                    status: ReservationStatus::Held,
                    restocked: 0,
                },
            ),
            E::StockReservationRejected {
                order_id,
                line,
                requested,
                ..
            } => self.set_reservation(
                *order_id,
                *line,
                Reservation {
                    quantity: *requested,
                    expires_at: None,
                    status: ReservationStatus::Rejected,
                    restocked: 0,
                },
            ),
            E::ReservationReleased { order_id, line, .. } => {
                self.set_status(*order_id, *line, ReservationStatus::Released);
            }
            E::StockCommitted { order_id, line, .. } => {
                self.set_status(*order_id, *line, ReservationStatus::Committed);
            }
            E::ReservationExpired { order_id, line, .. } => {
                self.set_status(*order_id, *line, ReservationStatus::Expired);
            }
            E::StockRestocked {
                order_id,
                line,
                quantity,
                ..
            } => {
                if let Some(r) = self
                    .reservations
                    .get_mut(order_id)
                    .and_then(|lines| lines.get_mut(line))
                {
                    r.restocked = r.restocked.saturating_add(*quantity);
                }
            }
            E::StockReceived { .. }
            | E::StockAdjusted { .. }
            | E::LowStockReached { .. }
            | E::BackInStock { .. } => {}
        }
        self
    }
}
