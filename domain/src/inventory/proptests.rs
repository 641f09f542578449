//! Invariants under random command sequences.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn minutes(m: i64) -> DateTime<Utc> {
    base() + Duration::minutes(m)
}

fn command() -> impl Strategy<Value = InventoryCommand> {
    let key = (0u128..4, 0u32..3);
    prop_oneof![
        (0u32..12).prop_map(|quantity| InventoryCommand::ReceiveStock { quantity }),
        (-12i64..12).prop_map(|delta| InventoryCommand::AdjustStock {
            delta,
            reason: "count".into()
        }),
        (0u32..6).prop_map(|threshold| InventoryCommand::SetLowStockThreshold { threshold }),
        (key.clone(), 0u32..10, 0i64..60).prop_map(|((o, line), quantity, m)| {
            InventoryCommand::ReserveStock {
                order_id: Uuid::from_u128(o),
                line,
                quantity,
                expires_at: minutes(m),
            }
        }),
        key.clone()
            .prop_map(|(o, line)| InventoryCommand::ReleaseStock {
                order_id: Uuid::from_u128(o),
                line
            }),
        key.clone()
            .prop_map(|(o, line)| InventoryCommand::CommitStock {
                order_id: Uuid::from_u128(o),
                line
            }),
        (0i64..60).prop_map(|m| InventoryCommand::ExpireReservations { now: minutes(m) }),
        (key, 0u32..10).prop_map(|((o, line), quantity)| InventoryCommand::RestockReturn {
            order_id: Uuid::from_u128(o),
            line,
            quantity
        }),
    ]
}

/// How often each reservation key was reserved and settled (released, committed or expired).
#[derive(Default)]
struct Ledger {
    reserved: BTreeMap<(Uuid, u32), u32>,
    settled: BTreeMap<(Uuid, u32), u32>,
}

impl Ledger {
    fn record(&mut self, event: &InventoryEvent) {
        use InventoryEvent as E;
        match event {
            E::StockReserved { order_id, line, .. } => {
                *self.reserved.entry((*order_id, *line)).or_default() += 1;
            }
            E::ReservationReleased { order_id, line, .. }
            | E::StockCommitted { order_id, line, .. }
            | E::ReservationExpired { order_id, line, .. } => {
                *self.settled.entry((*order_id, *line)).or_default() += 1;
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_command_sequence_makes_available_stock_negative_or_settles_a_reservation_twice(
        commands in proptest::collection::vec(command(), 1..60)
    ) {
        let sku = Sku::parse("P-1").unwrap();
        let mut state = InventoryItem::default().evolve(&InventoryEvent::SkuRegistered {
            sku,
            product_id: Uuid::from_u128(99),
            low_stock_threshold: 2,
        });
        let mut ledger = Ledger::default();
        for command in commands {
            let Ok(events) = state.decide(command) else { continue };
            for event in &events {
                ledger.record(event);
                state = state.evolve(event);
                prop_assert!(state.on_hand() >= state.reserved(), "available went negative");
            }
            let held: u64 = state
                .reservations()
                .filter(|(_, _, r)| r.status == ReservationStatus::Held)
                .map(|(_, _, r)| u64::from(r.quantity))
                .sum();
            prop_assert_eq!(held, state.reserved());
        }
        for (key, count) in &ledger.reserved {
            prop_assert!(*count <= 1, "{key:?} reserved {count} times");
        }
        for (key, count) in &ledger.settled {
            prop_assert!(*count <= 1, "{key:?} settled {count} times");
            prop_assert!(ledger.reserved.contains_key(key), "{key:?} settled without reserve");
        }
    }

    #[test]
    fn low_stock_signals_alternate_and_match_the_threshold(
        commands in proptest::collection::vec(command(), 1..60)
    ) {
        let sku = Sku::parse("P-1").unwrap();
        let mut state = InventoryItem::default().evolve(&InventoryEvent::SkuRegistered {
            sku,
            product_id: Uuid::from_u128(99),
            low_stock_threshold: 2,
        });
        // A new SKU starts low, so the first signal must be BackInStock.
        let mut low = true;
        for command in commands {
            let Ok(events) = state.decide(command) else { continue };
            for event in &events {
                state = state.evolve(event);
                match event {
                    InventoryEvent::LowStockReached { .. } => {
                        prop_assert!(!low);
                        low = true;
                    }
                    InventoryEvent::BackInStock { .. } => {
                        prop_assert!(low);
                        low = false;
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(low, state.is_low());
        }
    }
}
