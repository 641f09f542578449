//! Inventory rules, one sentence per test.
#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

mod reservations;

use chrono::{DateTime, TimeZone, Utc};
use pretty_assertions::assert_eq;
use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use crate::{DomainError, ErrorKind, EventType};
use InventoryCommand as C;
use InventoryEvent as E;

pub(super) const PRODUCT: Uuid = Uuid::from_u128(0xA);
pub(super) const ORDER: Uuid = Uuid::from_u128(0x1);
pub(super) const OTHER_ORDER: Uuid = Uuid::from_u128(0x2);

pub(super) fn given(events: impl IntoIterator<Item = InventoryEvent>) -> Given<InventoryItem> {
    testing::given(events)
}

pub(super) fn sku() -> Sku {
    Sku::parse("ABC-1").unwrap()
}

pub(super) fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, minute, 0).unwrap()
}

pub(super) fn registered(threshold: u32) -> InventoryEvent {
    E::SkuRegistered {
        sku: sku(),
        product_id: PRODUCT,
        low_stock_threshold: threshold,
    }
}

pub(super) fn received(quantity: u32, on_hand: u64, reserved: u64) -> InventoryEvent {
    E::StockReceived {
        quantity,
        on_hand,
        reserved,
    }
}

pub(super) fn reserved_ev(
    order_id: Uuid,
    line: u32,
    quantity: u32,
    on_hand: u64,
    reserved: u64,
) -> InventoryEvent {
    E::StockReserved {
        order_id,
        line,
        quantity,
        expires_at: at(30),
        on_hand,
        reserved,
    }
}

pub(super) fn reserve(order_id: Uuid, line: u32, quantity: u32) -> InventoryCommand {
    C::ReserveStock {
        order_id,
        line,
        quantity,
        expires_at: at(30),
    }
}

/// Registered with threshold 2, 10 on hand, not low.
pub(super) fn stocked() -> Vec<InventoryEvent> {
    vec![
        registered(2),
        received(10, 10, 0),
        E::BackInStock {
            available: 10,
            threshold: 2,
        },
    ]
}

pub(super) fn with(
    mut base: Vec<InventoryEvent>,
    more: impl IntoIterator<Item = InventoryEvent>,
) -> Vec<InventoryEvent> {
    base.extend(more);
    base
}

#[test]
fn stream_id_is_kind_and_normalized_sku() {
    assert_eq!(stream_id(&Sku::parse("abc-1").unwrap()), "inventory-ABC-1");
    assert_eq!(sku_from_stream_id("inventory-ABC-1"), Some(sku()));
    assert_eq!(sku_from_stream_id("product-ABC-1"), None);
}

#[test]
fn registering_a_new_sku_opens_its_stream() {
    given([])
        .when(C::RegisterSku {
            sku: sku(),
            product_id: PRODUCT,
            low_stock_threshold: 2,
        })
        .then([registered(2)]);
}

#[test]
fn registering_the_same_sku_for_the_same_product_again_is_a_no_op() {
    given([registered(2)])
        .when(C::RegisterSku {
            sku: sku(),
            product_id: PRODUCT,
            low_stock_threshold: 5,
        })
        .then_nothing();
}

#[test]
fn registering_a_sku_owned_by_another_product_is_refused() {
    given([registered(2)])
        .when(C::RegisterSku {
            sku: sku(),
            product_id: Uuid::from_u128(0xB),
            low_stock_threshold: 2,
        })
        .then_err(InventoryError::AlreadyRegistered {
            product_id: PRODUCT,
        });
}

#[test]
fn every_command_on_an_unregistered_sku_is_not_found() {
    let commands = [
        C::ReceiveStock { quantity: 1 },
        C::AdjustStock {
            delta: 1,
            reason: "count".into(),
        },
        C::SetLowStockThreshold { threshold: 1 },
        reserve(ORDER, 1, 1),
        C::ReleaseStock {
            order_id: ORDER,
            line: 1,
        },
        C::CommitStock {
            order_id: ORDER,
            line: 1,
        },
        C::ExpireReservations { now: at(0) },
        C::RestockReturn {
            order_id: ORDER,
            line: 1,
            quantity: 1,
        },
    ];
    for command in commands {
        given([]).when(command).then_err(InventoryError::UnknownSku);
    }
    assert_eq!(InventoryError::UnknownSku.code(), "unknown_sku");
    assert_eq!(InventoryError::UnknownSku.kind(), ErrorKind::NotFound);
}

#[test]
fn receiving_stock_above_the_threshold_signals_back_in_stock() {
    given([registered(2)])
        .when(C::ReceiveStock { quantity: 10 })
        .then([
            received(10, 10, 0),
            E::BackInStock {
                available: 10,
                threshold: 2,
            },
        ]);
}

#[test]
fn receiving_stock_that_stays_at_the_threshold_signals_nothing_more() {
    given([registered(5)])
        .when(C::ReceiveStock { quantity: 5 })
        .then([received(5, 5, 0)]);
}

#[test]
fn receiving_zero_units_is_refused() {
    given(stocked())
        .when(C::ReceiveStock { quantity: 0 })
        .then_err(InventoryError::ZeroQuantity);
}

#[test]
fn adjusting_stock_down_within_available_is_accepted() {
    let state = given(stocked())
        .when(C::AdjustStock {
            delta: -3,
            reason: "damaged".into(),
        })
        .then([E::StockAdjusted {
            delta: -3,
            reason: "damaged".into(),
            on_hand: 7,
            reserved: 0,
        }]);
    assert_eq!(state.available(), 7);
}

#[test]
fn adjusting_by_zero_or_without_reason_is_refused() {
    given(stocked())
        .when(C::AdjustStock {
            delta: 0,
            reason: "x".into(),
        })
        .then_err(InventoryError::ZeroAdjustment);
    given(stocked())
        .when(C::AdjustStock {
            delta: 1,
            reason: "  ".into(),
        })
        .then_err(InventoryError::MissingReason);
}

#[test]
fn raising_the_threshold_above_available_signals_low_stock() {
    given(stocked())
        .when(C::SetLowStockThreshold { threshold: 10 })
        .then([
            E::LowStockThresholdSet { threshold: 10 },
            E::LowStockReached {
                available: 10,
                threshold: 10,
            },
        ]);
}

#[test]
fn setting_the_current_threshold_again_is_a_no_op() {
    given(stocked())
        .when(C::SetLowStockThreshold { threshold: 2 })
        .then_nothing();
}

#[test]
fn commands_and_events_use_the_type_and_data_wire_shape() {
    let command: InventoryCommand = serde_json::from_value(serde_json::json!({
        "type": "ReserveStock",
        "data": {"order_id": ORDER, "line": 1, "quantity": 2, "expires_at": "2025-01-01T12:30:00Z"}
    }))
    .unwrap();
    assert_eq!(command, reserve(ORDER, 1, 2));
    let event = reserved_ev(ORDER, 1, 2, 10, 2);
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["type"], event.event_type());
    assert_eq!(json["data"]["on_hand"], 10);
    assert_eq!(
        serde_json::from_value::<InventoryEvent>(json).unwrap(),
        event
    );
}

#[test]
fn a_bad_sku_in_a_register_command_cannot_be_deserialized() {
    let result = serde_json::from_value::<InventoryCommand>(serde_json::json!({
        "type": "RegisterSku",
        "data": {"sku": "bad sku", "product_id": PRODUCT, "low_stock_threshold": 1}
    }));
    assert!(result.is_err());
}

#[test]
fn every_event_type_is_listed() {
    let sample = [
        registered(0),
        received(1, 1, 0),
        E::LowStockReached {
            available: 0,
            threshold: 0,
        },
    ];
    for event in sample {
        assert!(InventoryEvent::TYPES.contains(&event.event_type()));
    }
    assert_eq!(InventoryEvent::TYPES.len(), 12);
}
