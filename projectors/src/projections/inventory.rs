//! Inventory availability: one `inventory_items` row per SKU.
//!
//! Quantity events carry the absolute `on_hand` and `reserved` after them, so a batch folds to
//! one patch per SKU (the last figures win) and lands in two statements: an insert for SKUs
//! registered in the batch, an update for the rest. `available` and `low_stock` are generated
//! columns, so they cannot disagree with the figures.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::inventory::{InventoryEvent, InventoryItem};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read_model::{EventsOf, ReadModel};

/// Checkpoint name.
pub const NAME: &str = "inventory";

/// The inventory read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inventory;

/// What a batch changes on one SKU's row; `None` leaves a column as it is.
#[derive(Debug, Clone, PartialEq)]
struct Patch {
    registered: bool,
    product_id: Option<Uuid>,
    on_hand: Option<i64>,
    reserved: Option<i64>,
    threshold: Option<i64>,
    updated_at: DateTime<Utc>,
    stream_version: i64,
}

fn fold(events: &[EventsOf<InventoryItem>]) -> BTreeMap<String, Patch> {
    let mut patches: BTreeMap<String, Patch> = BTreeMap::new();
    for event in events {
        let patch = patches
            .entry(event.stream_id().to_string())
            .or_insert_with(|| Patch {
                registered: false,
                product_id: None,
                on_hand: None,
                reserved: None,
                threshold: None,
                updated_at: event.occurred_at,
                stream_version: event.version,
            });
        patch.updated_at = event.occurred_at;
        patch.stream_version = event.version;
        if let Some((on_hand, reserved)) = event.event.stock_after() {
            patch.on_hand = Some(clamp(on_hand));
            patch.reserved = Some(clamp(reserved));
        }
        match &event.event {
            InventoryEvent::SkuRegistered {
                product_id,
                low_stock_threshold,
                ..
            } => {
                patch.registered = true;
                patch.product_id = Some(*product_id);
                patch.threshold = Some(i64::from(*low_stock_threshold));
            }
            InventoryEvent::LowStockThresholdSet { threshold } => {
                patch.threshold = Some(i64::from(*threshold));
            }
            _ => {}
        }
    }
    patches
}

/// Stock figures are u64 in the domain and bigint here; 2^63 units is not a real warehouse.
fn clamp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[derive(Default)]
struct Columns {
    sku: Vec<String>,
    product_id: Vec<Option<Uuid>>,
    on_hand: Vec<Option<i64>>,
    reserved: Vec<Option<i64>>,
    threshold: Vec<Option<i64>>,
    updated_at: Vec<DateTime<Utc>>,
    stream_version: Vec<i64>,
}

impl Columns {
    fn push(&mut self, sku: String, patch: Patch) {
        self.sku.push(sku);
        self.product_id.push(patch.product_id);
        self.on_hand.push(patch.on_hand);
        self.reserved.push(patch.reserved);
        self.threshold.push(patch.threshold);
        self.updated_at.push(patch.updated_at);
        self.stream_version.push(patch.stream_version);
    }
}

const INSERT: &str = "
    INSERT INTO inventory_items
        (sku, product_id, on_hand, reserved, low_stock_threshold, updated_at, stream_version)
    SELECT sku, product_id, COALESCE(on_hand, 0), COALESCE(reserved, 0),
           COALESCE(low_stock_threshold, 0), updated_at, stream_version
    FROM UNNEST($1::text[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[],
                $6::timestamptz[], $7::bigint[])
         AS p(sku, product_id, on_hand, reserved, low_stock_threshold, updated_at, stream_version)";

const UPDATE: &str = "
    UPDATE inventory_items AS i SET
        product_id = COALESCE(p.product_id, i.product_id),
        on_hand = COALESCE(p.on_hand, i.on_hand),
        reserved = COALESCE(p.reserved, i.reserved),
        low_stock_threshold = COALESCE(p.low_stock_threshold, i.low_stock_threshold),
        updated_at = p.updated_at,
        stream_version = p.stream_version
    FROM UNNEST($1::text[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[],
                $6::timestamptz[], $7::bigint[])
         AS p(sku, product_id, on_hand, reserved, low_stock_threshold, updated_at, stream_version)
    WHERE i.sku = p.sku";

async fn write(conn: &mut PgConnection, sql: &str, columns: &Columns) -> Result<(), sqlx::Error> {
    if columns.sku.is_empty() {
        return Ok(());
    }
    sqlx::query(sql)
        .bind(&columns.sku)
        .bind(&columns.product_id)
        .bind(&columns.on_hand)
        .bind(&columns.reserved)
        .bind(&columns.threshold)
        .bind(&columns.updated_at)
        .bind(&columns.stream_version)
        .execute(conn)
        .await?;
    Ok(())
}

impl ReadModel for Inventory {
    const NAME: &'static str = NAME;
    type Aggregate = InventoryItem;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<InventoryItem>],
    ) -> Result<(), sqlx::Error> {
        let mut new = Columns::default();
        let mut existing = Columns::default();
        for (sku, patch) in fold(events) {
            if patch.registered {
                new.push(sku, patch);
            } else {
                existing.push(sku, patch);
            }
        }
        write(&mut *conn, INSERT, &new).await?;
        write(&mut *conn, UPDATE, &existing).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoded;
    use domain::values::Sku;

    fn at(version: i64, event: InventoryEvent) -> EventsOf<InventoryItem> {
        Decoded {
            partition: 0,
            offset: version,
            event_id: Uuid::now_v7(),
            stream: "inventory-SKU-1".into(),
            version,
            occurred_at: DateTime::from_timestamp(1_700_000_000 + version, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn a_batch_folds_to_the_last_figures_of_each_sku() {
        let product_id = Uuid::now_v7();
        let events = vec![
            at(
                1,
                InventoryEvent::SkuRegistered {
                    sku: Sku::parse("SKU-1").unwrap(),
                    product_id,
                    low_stock_threshold: 3,
                },
            ),
            at(
                2,
                InventoryEvent::StockReceived {
                    quantity: 10,
                    on_hand: 10,
                    reserved: 0,
                },
            ),
            at(3, InventoryEvent::LowStockThresholdSet { threshold: 4 }),
            at(
                4,
                InventoryEvent::BackInStock {
                    available: 10,
                    threshold: 4,
                },
            ),
        ];
        let patches = fold(&events);
        let patch = &patches["SKU-1"];
        assert!(patch.registered);
        assert_eq!(patch.product_id, Some(product_id));
        assert_eq!((patch.on_hand, patch.reserved), (Some(10), Some(0)));
        assert_eq!(patch.threshold, Some(4));
        assert_eq!(patch.stream_version, 4);
        assert_eq!(patch.updated_at, events[3].occurred_at);
    }

    #[test]
    fn events_without_figures_leave_the_figures_alone() {
        let patches = fold(&[at(7, InventoryEvent::LowStockThresholdSet { threshold: 2 })]);
        let patch = &patches["SKU-1"];
        assert!(!patch.registered);
        assert_eq!(
            (patch.on_hand, patch.reserved, patch.product_id),
            (None, None, None)
        );
    }
}
