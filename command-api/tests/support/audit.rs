//! Audits of the counted log shared by the checkout tests: order outcomes and stock
//! conservation.

use std::collections::{HashMap, HashSet};

use runtime::log::{Counted, ItemKind, LogItem};
use uuid::Uuid;

use super::counted_events;

/// Order streams and their final status, from the counted log.
pub fn order_outcomes(log: &[LogItem]) -> HashMap<String, String> {
    let mut status = HashMap::new();
    for item in log {
        if let ItemKind::Counted(Counted::Commit(commit)) = &item.kind
            && commit.stream.starts_with("order-")
        {
            for event in &commit.events {
                let next = match event.event_type.as_str() {
                    "OrderPlaced" => "placed",
                    "OrderConfirmed" => "confirmed",
                    "OrderRejected" => "rejected",
                    "OrderPaid" => "paid",
                    "OrderCancelled" => "cancelled",
                    _ => continue,
                };
                status.insert(commit.stream.clone(), next.to_string());
            }
        }
    }
    status
}

/// Checks stock conservation and non-negativity for `sku` over the whole counted log; returns
/// (on_hand, reserved) at the end.
pub fn audit_stock(log: &[LogItem], sku: &str) -> (i64, i64) {
    let events = counted_events(log, &format!("inventory-{sku}"));
    let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
    assert_eq!(
        versions,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "{sku}: versions gap-free"
    );
    let mut received = 0i64;
    let mut committed = 0i64;
    let mut open: HashMap<(String, u64), i64> = HashMap::new();
    let (mut on_hand, mut reserved) = (0i64, 0i64);
    for event in &events {
        let data = &event.data;
        let key = || {
            (
                data["order_id"].as_str().unwrap_or_default().to_string(),
                data["line"].as_u64().unwrap_or(0),
            )
        };
        match event.event_type.as_str() {
            "StockReceived" => received += data["quantity"].as_i64().unwrap(),
            "StockAdjusted" => received += data["delta"].as_i64().unwrap(),
            "StockReserved" => {
                assert!(
                    open.insert(key(), data["quantity"].as_i64().unwrap())
                        .is_none(),
                    "reserved twice"
                );
            }
            "ReservationReleased" | "ReservationExpired" => {
                assert!(open.remove(&key()).is_some(), "released what was not held");
            }
            "StockCommitted" => {
                committed += open.remove(&key()).expect("committed what was not held");
            }
            _ => {}
        }
        if let (Some(h), Some(r)) = (data["on_hand"].as_i64(), data["reserved"].as_i64()) {
            assert!(
                h >= 0 && r >= 0 && h - r >= 0,
                "{sku}: negative stock at version {}",
                event.version
            );
            (on_hand, reserved) = (h, r);
        }
    }
    assert_eq!(
        on_hand,
        received - committed,
        "{sku}: on hand = received + adjustments - committed"
    );
    assert_eq!(
        reserved,
        open.values().sum::<i64>(),
        "{sku}: reserved = open reservations"
    );
    let ids: HashSet<Uuid> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), events.len(), "{sku}: event ids unique");
    (on_hand, reserved)
}
