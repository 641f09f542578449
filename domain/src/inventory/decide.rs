//! The inventory decision function.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{InventoryCommand, InventoryError, InventoryEvent, InventoryItem, ReservationStatus};

type Decision = Result<Vec<InventoryEvent>, InventoryError>;

/// Checks `command` against `item`; appends `LowStockReached` / `BackInStock` when the command
/// moves available across the threshold.
pub(super) fn decide(item: &InventoryItem, command: InventoryCommand) -> Decision {
    use InventoryCommand as C;
    let Some(registration) = &item.registration else {
        return match command {
            C::RegisterSku {
                sku,
                product_id,
                low_stock_threshold,
            } => Ok(vec![InventoryEvent::SkuRegistered {
                sku,
                product_id,
                low_stock_threshold,
            }]),
            _ => Err(InventoryError::UnknownSku),
        };
    };
    let events = match command {
        C::RegisterSku { product_id, .. } => {
            // A process manager may register the same SKU again on redelivery.
            if product_id == registration.product_id {
                vec![]
            } else {
                return Err(InventoryError::AlreadyRegistered {
                    product_id: registration.product_id,
                });
            }
        }
        C::ReceiveStock { quantity } => receive(item, quantity)?,
        C::AdjustStock { delta, reason } => adjust(item, delta, reason)?,
        C::SetLowStockThreshold { threshold } => {
            if threshold == item.low_stock_threshold {
                vec![]
            } else {
                vec![InventoryEvent::LowStockThresholdSet { threshold }]
            }
        }
        C::ReserveStock {
            order_id,
            line,
            quantity,
            expires_at,
        } => reserve(item, order_id, line, quantity, expires_at)?,
        C::ReleaseStock { order_id, line } => release(item, order_id, line),
        C::CommitStock { order_id, line } => commit(item, order_id, line)?,
        C::ExpireReservations { now } => expire(item, now),
        C::RestockReturn {
            order_id,
            line,
            quantity,
        } => restock(item, order_id, line, quantity)?,
    };
    Ok(with_stock_signals(item, events))
}

fn receive(item: &InventoryItem, quantity: u32) -> Decision {
    if quantity == 0 {
        return Err(InventoryError::ZeroQuantity);
    }
    let on_hand = item
        .on_hand
        .checked_add(u64::from(quantity))
        .ok_or(InventoryError::QuantityOverflow)?;
    Ok(vec![InventoryEvent::StockReceived {
        quantity,
        on_hand,
        reserved: item.reserved,
    }])
}

fn adjust(item: &InventoryItem, delta: i64, reason: String) -> Decision {
    if delta == 0 {
        return Err(InventoryError::ZeroAdjustment);
    }
    if reason.trim().is_empty() {
        return Err(InventoryError::MissingReason);
    }
    let target = i128::from(item.on_hand) + i128::from(delta);
    if target < i128::from(item.reserved) {
        return Err(InventoryError::InsufficientStock {
            available: item.available(),
            requested: delta.unsigned_abs(),
        });
    }
    let on_hand = u64::try_from(target).map_err(|_| InventoryError::QuantityOverflow)?;
    Ok(vec![InventoryEvent::StockAdjusted {
        delta,
        reason,
        on_hand,
        reserved: item.reserved,
    }])
}

fn reserve(
    item: &InventoryItem,
    order_id: Uuid,
    line: u32,
    quantity: u32,
    expires_at: DateTime<Utc>,
) -> Decision {
    if quantity == 0 {
        return Err(InventoryError::ZeroQuantity);
    }
    if item.reservation(order_id, line).is_some() {
        // Each order line reserves once, whatever happened since: a redelivered command must
        // not take stock a second time nor revive a released line.
        return Ok(vec![]);
    }
    let available = item.available();
    if available < u64::from(quantity) {
        return Ok(vec![InventoryEvent::StockReservationRejected {
            order_id,
            line,
            requested: quantity,
            available,
        }]);
    }
    Ok(vec![InventoryEvent::StockReserved {
        order_id,
        line,
        quantity,
        expires_at,
        on_hand: item.on_hand,
        reserved: item.reserved + u64::from(quantity),
    }])
}

fn release(item: &InventoryItem, order_id: Uuid, line: u32) -> Vec<InventoryEvent> {
    match item.reservation(order_id, line) {
        Some(r) if r.status == ReservationStatus::Held => {
            vec![InventoryEvent::ReservationReleased {
                order_id,
                line,
                quantity: r.quantity,
                on_hand: item.on_hand,
                reserved: item.reserved.saturating_sub(u64::from(r.quantity)),
            }]
        }
        _ => vec![],
    }
}

fn commit(item: &InventoryItem, order_id: Uuid, line: u32) -> Decision {
    match item.reservation(order_id, line) {
        Some(r) if r.status == ReservationStatus::Held => {
            let quantity = u64::from(r.quantity);
            Ok(vec![InventoryEvent::StockCommitted {
                order_id,
                line,
                quantity: r.quantity,
                on_hand: item.on_hand.saturating_sub(quantity),
                reserved: item.reserved.saturating_sub(quantity),
            }])
        }
        Some(r) if r.status == ReservationStatus::Committed => Ok(vec![]),
        _ => Err(InventoryError::ReservationNotHeld { order_id, line }),
    }
}

fn expire(item: &InventoryItem, now: DateTime<Utc>) -> Vec<InventoryEvent> {
    let mut reserved = item.reserved;
    let mut events = Vec::new();
    for (order_id, line, r) in item.reservations() {
        let Some(expires_at) = r.expires_at else {
            continue;
        };
        if r.status == ReservationStatus::Held && expires_at <= now {
            reserved = reserved.saturating_sub(u64::from(r.quantity));
            events.push(InventoryEvent::ReservationExpired {
                order_id,
                line,
                quantity: r.quantity,
                expires_at,
                on_hand: item.on_hand,
                reserved,
            });
        }
    }
    events
}

fn restock(item: &InventoryItem, order_id: Uuid, line: u32, quantity: u32) -> Decision {
    if quantity == 0 {
        return Err(InventoryError::ZeroQuantity);
    }
    let r = match item.reservation(order_id, line) {
        Some(r) if r.status == ReservationStatus::Committed => r,
        _ => return Err(InventoryError::ReservationNotCommitted { order_id, line }),
    };
    if r.restocked > 0 {
        // One restock per line: a redelivered return must not add the goods twice.
        return Ok(vec![]);
    }
    if quantity > r.quantity {
        return Err(InventoryError::RestockExceedsCommitted {
            committed: r.quantity,
            requested: quantity,
        });
    }
    let on_hand = item
        .on_hand
        .checked_add(u64::from(quantity))
        .ok_or(InventoryError::QuantityOverflow)?;
    Ok(vec![InventoryEvent::StockRestocked {
        order_id,
        line,
        quantity,
        on_hand,
        reserved: item.reserved,
    }])
}

/// Appends a low-stock signal when `events` move available across the threshold.
///
/// "Low" means available <= threshold. A freshly registered SKU (nothing on hand) counts as
/// low without an event, so its first sufficient receipt yields `BackInStock`.
fn with_stock_signals(
    item: &InventoryItem,
    mut events: Vec<InventoryEvent>,
) -> Vec<InventoryEvent> {
    let mut on_hand = item.on_hand;
    let mut reserved = item.reserved;
    let mut threshold = item.low_stock_threshold;
    for event in &events {
        if let Some((h, r)) = event.stock_after() {
            on_hand = h;
            reserved = r;
        }
        if let InventoryEvent::LowStockThresholdSet { threshold: t } = event {
            threshold = *t;
        }
    }
    let available = on_hand.saturating_sub(reserved);
    let low_after = available <= u64::from(threshold);
    match (item.is_low(), low_after) {
        (false, true) => events.push(InventoryEvent::LowStockReached {
            available,
            threshold,
        }),
        (true, false) => events.push(InventoryEvent::BackInStock {
            available,
            threshold,
        }),
        _ => {}
    }
    events
}
