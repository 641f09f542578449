//! Stock movement facts in ClickHouse: one row per quantity-changing inventory event.
//!
//! Per batch: insert new SKU→product rows, then the facts, then the position (all in
//! ClickHouse). There is no transaction across the three; instead every row is a pure function of
//! its log record, and the tables collapse duplicates on their keys, so replaying a batch after a
//! crash between the inserts changes nothing once read with `FINAL`.

use std::collections::HashMap;

use clickhouse::{Client, Row};
use domain::{
    Aggregate,
    inventory::{InventoryEvent, InventoryItem},
};
use runtime::log::PartitionStart;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    analytics,
    decode::{Decoded, decode_items},
    dlq::DeadLetters,
    error::ProjectorError,
    runner::{Batch, Outcome, Projection},
};

/// Position name.
pub const NAME: &str = "stock_movements";

/// One row of `stock_movements`; see `clickhouse/0001_stock_movements.sql` for the meaning of
/// the signed columns.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct MovementRow {
    /// The event's id: the fact's key.
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    /// When it happened (seconds).
    pub occurred_at: u32,
    /// SKU.
    pub sku: String,
    /// Its product (nil when the SKU's registration was not seen).
    #[serde(with = "clickhouse::serde::uuid")]
    pub product_id: Uuid,
    /// received, adjusted, reserved, released, committed, expired or restocked.
    pub movement: String,
    /// Units moved, signed as the change of the figure the movement is about.
    pub quantity: i64,
    /// Change of on hand.
    pub on_hand_delta: i64,
    /// Change of reserved.
    pub reserved_delta: i64,
    /// On hand after.
    pub on_hand: i64,
    /// Reserved after.
    pub reserved: i64,
    /// Why (adjustments), else empty.
    pub reason: String,
    /// Order concerned (nil for receipts and adjustments).
    #[serde(with = "clickhouse::serde::uuid")]
    pub order_id: Uuid,
    /// Order line concerned (0 when none).
    pub line: u32,
    /// Version of the event in its stream.
    pub stream_version: u64,
    /// Events partition of its commit.
    pub partition: i32,
    /// Offset of its commit.
    pub offset: i64,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
struct SkuProductRow {
    sku: String,
    #[serde(with = "clickhouse::serde::uuid")]
    product_id: Uuid,
    registered_at: u32,
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
}

/// The stock movements projection.
pub struct StockMovements {
    client: Client,
    log_epoch: Uuid,
    products: HashMap<String, Uuid>,
}

impl StockMovements {
    /// The projection into `client`'s database, for the log `log_epoch`.
    pub fn new(client: Client, log_epoch: Uuid) -> Self {
        Self {
            client,
            log_epoch,
            products: HashMap::new(),
        }
    }

    /// Reloads which product each SKU belongs to from `sku_products` (it holds every
    /// registration up to the stored position, and maybe a replayed few more).
    pub async fn load_products(&mut self) -> Result<(), ProjectorError> {
        let known: Vec<SkuProductRow> = self
            .client
            .query("SELECT ?fields FROM sku_products FINAL")
            .fetch_all()
            .await?;
        self.products = known
            .into_iter()
            .map(|row| (row.sku, row.product_id))
            .collect();
        Ok(())
    }

    /// Inserts the facts of `events` (registrations first); inserting the same events again
    /// writes identical rows, which collapse.
    pub async fn write(
        &mut self,
        events: &[Decoded<InventoryEvent>],
    ) -> Result<(), ProjectorError> {
        let (registrations, movements) = rows(events, &mut self.products);
        analytics::insert_rows(&self.client, "sku_products", &registrations).await?;
        analytics::insert_rows(&self.client, "stock_movements", &movements).await
    }
}

fn seconds(event: &Decoded<InventoryEvent>) -> u32 {
    u32::try_from(event.occurred_at.timestamp()).unwrap_or(0)
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The fact an event makes, if it moves stock: `(movement, quantity, on_hand_delta,
/// reserved_delta, reason, order_id, line)`.
fn movement(event: &InventoryEvent) -> Option<(&'static str, i64, i64, i64, String, Uuid, u32)> {
    use InventoryEvent as E;
    let nil = Uuid::nil();
    Some(match event {
        E::StockReceived { quantity, .. } => {
            let q = i64::from(*quantity);
            ("received", q, q, 0, String::new(), nil, 0)
        }
        E::StockAdjusted { delta, reason, .. } => {
            ("adjusted", *delta, *delta, 0, reason.clone(), nil, 0)
        }
        E::StockReserved {
            order_id,
            line,
            quantity,
            ..
        } => {
            let q = i64::from(*quantity);
            ("reserved", q, 0, q, String::new(), *order_id, *line)
        }
        E::ReservationReleased {
            order_id,
            line,
            quantity,
            ..
        } => {
            let q = i64::from(*quantity);
            ("released", -q, 0, -q, String::new(), *order_id, *line)
        }
        E::StockCommitted {
            order_id,
            line,
            quantity,
            ..
        } => {
            let q = i64::from(*quantity);
            ("committed", -q, -q, -q, String::new(), *order_id, *line)
        }
        E::ReservationExpired {
            order_id,
            line,
            quantity,
            ..
        } => {
            let q = i64::from(*quantity);
            ("expired", -q, 0, -q, String::new(), *order_id, *line)
        }
        E::StockRestocked {
            order_id,
            line,
            quantity,
            ..
        } => {
            let q = i64::from(*quantity);
            ("restocked", q, q, 0, String::new(), *order_id, *line)
        }
        _ => return None,
    })
}

/// The fact rows of `events`, learning SKU→product from registrations on the way.
fn rows(
    events: &[Decoded<InventoryEvent>],
    products: &mut HashMap<String, Uuid>,
) -> (Vec<SkuProductRow>, Vec<MovementRow>) {
    let mut registrations = Vec::new();
    let mut movements = Vec::new();
    for event in events {
        let sku = event.stream_id().to_string();
        if let InventoryEvent::SkuRegistered { product_id, .. } = &event.event {
            products.insert(sku.clone(), *product_id);
            registrations.push(SkuProductRow {
                sku: sku.clone(),
                product_id: *product_id,
                registered_at: seconds(event),
                event_id: event.event_id,
            });
        }
        let (
            Some((on_hand, reserved)),
            Some((kind, quantity, on_hand_delta, reserved_delta, reason, order_id, line)),
        ) = (event.event.stock_after(), movement(&event.event))
        else {
            continue;
        };
        movements.push(MovementRow {
            event_id: event.event_id,
            occurred_at: seconds(event),
            product_id: products.get(&sku).copied().unwrap_or_default(),
            sku,
            movement: kind.to_string(),
            quantity,
            on_hand_delta,
            reserved_delta,
            on_hand: signed(on_hand),
            reserved: signed(reserved),
            reason,
            order_id,
            line,
            stream_version: u64::try_from(event.version).unwrap_or(0),
            partition: event.partition,
            offset: event.offset,
        });
    }
    (registrations, movements)
}

impl Projection for StockMovements {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregates(&self) -> Option<Vec<&'static str>> {
        Some(vec![<InventoryItem as Aggregate>::KIND])
    }

    async fn starts(&mut self, partitions: i32) -> Result<Vec<PartitionStart>, ProjectorError> {
        self.load_products().await?;
        analytics::load_positions(&self.client, NAME, self.log_epoch, partitions).await
    }

    async fn commit(
        &mut self,
        batch: &Batch,
        dlq: &DeadLetters,
    ) -> Result<Outcome, ProjectorError> {
        let events = decode_items::<InventoryItem>(&batch.items, NAME, dlq).await?;
        self.write(&events).await?;
        analytics::store_positions(&self.client, NAME, self.log_epoch, &batch.advances).await?;
        Ok(Outcome::Committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use domain::values::Sku;

    fn at(version: i64, event: InventoryEvent) -> Decoded<InventoryEvent> {
        Decoded {
            partition: 2,
            offset: 40 + version,
            event_id: Uuid::now_v7(),
            stream: "inventory-SKU-9".into(),
            version,
            occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn a_commit_lowers_both_on_hand_and_reserved() {
        let order_id = Uuid::now_v7();
        let product_id = Uuid::now_v7();
        let mut products = HashMap::new();
        let (registrations, movements) = rows(
            &[
                at(
                    1,
                    InventoryEvent::SkuRegistered {
                        sku: Sku::parse("SKU-9").unwrap(),
                        product_id,
                        low_stock_threshold: 1,
                    },
                ),
                at(
                    2,
                    InventoryEvent::StockCommitted {
                        order_id,
                        line: 2,
                        quantity: 3,
                        on_hand: 7,
                        reserved: 0,
                    },
                ),
            ],
            &mut products,
        );
        assert_eq!(registrations.len(), 1);
        assert_eq!(movements.len(), 1);
        let fact = &movements[0];
        assert_eq!(fact.movement, "committed");
        assert_eq!(
            (fact.quantity, fact.on_hand_delta, fact.reserved_delta),
            (-3, -3, -3)
        );
        assert_eq!((fact.on_hand, fact.reserved), (7, 0));
        assert_eq!(fact.product_id, product_id);
        assert_eq!((fact.order_id, fact.line), (order_id, 2));
    }

    #[test]
    fn signals_and_threshold_changes_are_not_movements() {
        let mut products = HashMap::new();
        let (_, movements) = rows(
            &[
                at(
                    3,
                    InventoryEvent::LowStockReached {
                        available: 1,
                        threshold: 2,
                    },
                ),
                at(4, InventoryEvent::LowStockThresholdSet { threshold: 5 }),
            ],
            &mut products,
        );
        assert!(movements.is_empty());
    }
}
