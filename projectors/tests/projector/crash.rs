//! kill -9 in the middle of a stream: after restart, every read model equals a rebuild from
//! offset 0 and every stock movement counts once.

use std::{collections::BTreeSet, time::Duration};

use chrono::Utc;
use domain::{
    inventory::{self, InventoryCommand, InventoryEvent, InventoryItem},
    product::{self, Product, ProductCommand},
    values::Sku,
};
use projectors::{config::Config, rebuild};
use runtime::testing::{TestNamespace, eventually};
use uuid::Uuid;

use crate::{
    catalog_and_inventory::{create, eur, new_variant},
    support::{Log, Model, Pending, ch, pg, positions, send_with, spawn_projector, wait_caught_up},
};

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// Commands a busy shop would send, decided by the domain.
pub struct Shop {
    rng: Rng,
    products: Model<Product>,
    stock: Model<InventoryItem>,
    product_streams: Vec<String>,
    sku_streams: Vec<(Sku, String)>,
    held: Vec<(String, Uuid, u32)>,
    pub movements: BTreeSet<Uuid>,
}

const MOVEMENTS: &[&str] = &[
    "StockReceived",
    "StockAdjusted",
    "StockReserved",
    "ReservationReleased",
    "StockCommitted",
    "ReservationExpired",
    "StockRestocked",
];

impl Shop {
    pub fn open(log: &mut Log, products: usize) -> (Self, Vec<Pending>) {
        let mut shop = Shop {
            rng: Rng(0x9e37_79b9_7f4a_7c15),
            products: Model::default(),
            stock: Model::default(),
            product_streams: Vec::new(),
            sku_streams: Vec::new(),
            held: Vec::new(),
            movements: BTreeSet::new(),
        };
        let mut records = Vec::new();
        for i in 0..products {
            let id = Uuid::now_v7();
            let stream = product::stream_id(id);
            let skus = [format!("C{i}-A"), format!("C{i}-B")];
            let events = shop.products.decide(
                &stream,
                create(
                    id,
                    &format!("Crash Product {i}"),
                    &format!("crash-product-{i}"),
                    skus.iter()
                        .map(|s| new_variant(s, 1_000 + i as i64))
                        .collect(),
                ),
            );
            records.push(log.commit::<Product>(&stream, &events));
            shop.product_streams.push(stream);
            for sku in skus {
                let sku = Sku::parse(&sku).unwrap();
                let sku_stream = inventory::stream_id(&sku);
                let events = shop.stock.decide(
                    &sku_stream,
                    InventoryCommand::RegisterSku {
                        sku: sku.clone(),
                        product_id: id,
                        low_stock_threshold: 3,
                    },
                );
                records.push(log.commit::<InventoryItem>(&sku_stream, &events));
                shop.sku_streams.push((sku, sku_stream));
            }
        }
        (shop, records)
    }

    pub fn commits(&mut self, log: &mut Log, count: usize) -> Vec<Pending> {
        let mut records = Vec::with_capacity(count);
        while records.len() < count {
            if let Some(pending) = self.one(log) {
                for (event_id, event_type) in &pending.events {
                    if MOVEMENTS.contains(&event_type.as_str()) {
                        self.movements.insert(*event_id);
                    }
                }
                records.push(pending);
            }
        }
        records
    }

    fn one(&mut self, log: &mut Log) -> Option<Pending> {
        let roll = self.rng.below(100);
        if roll >= 90 {
            let stream = self.product_streams[self.rng.below(self.product_streams.len())].clone();
            let i = self.rng.below(1000) as i64;
            let command = match roll {
                90..=93 => ProductCommand::ChangeVariantPrice {
                    sku: self.products.state(&stream).variants()[self.rng.below(2)]
                        .sku
                        .clone(),
                    price: eur(500 + i),
                },
                94..=96 => ProductCommand::UpdateProductDetails {
                    name: None,
                    description: Some(format!("revision {i}")),
                    category: None,
                    brand: None,
                    attributes: None,
                },
                _ if self.products.state(&stream).is_published() => {
                    ProductCommand::UnpublishProduct {}
                }
                _ => ProductCommand::PublishProduct {},
            };
            let events = self.products.try_decide(&stream, command)?;
            return (!events.is_empty()).then(|| log.commit::<Product>(&stream, &events));
        }
        let (_, stream) = self.sku_streams[self.rng.below(self.sku_streams.len())].clone();
        let command = match roll {
            0..=34 => InventoryCommand::ReceiveStock {
                quantity: 1 + self.rng.below(20) as u32,
            },
            35..=64 => {
                let order_id = Uuid::now_v7();
                self.held.push((stream.clone(), order_id, 1));
                InventoryCommand::ReserveStock {
                    order_id,
                    line: 1,
                    quantity: 1 + self.rng.below(5) as u32,
                    expires_at: Utc::now() + chrono::Duration::minutes(30),
                }
            }
            65..=84 if !self.held.is_empty() => {
                let (stream, order_id, line) =
                    self.held.swap_remove(self.rng.below(self.held.len()));
                let command = if roll < 75 {
                    InventoryCommand::ReleaseStock { order_id, line }
                } else {
                    InventoryCommand::CommitStock { order_id, line }
                };
                let events = self.stock.try_decide(&stream, command)?;
                return (!events.is_empty()).then(|| log.commit::<InventoryItem>(&stream, &events));
            }
            _ => {
                let item = self.stock.state(&stream);
                let delta = if item.available() > 0 { -1 } else { 2 };
                InventoryCommand::AdjustStock {
                    delta,
                    reason: "cycle count".into(),
                }
            }
        };
        let events = self.stock.try_decide(&stream, command)?;
        if let [InventoryEvent::StockReservationRejected { .. }, ..] = events.as_slice() {
            self.held.pop();
        }
        (!events.is_empty()).then(|| log.commit::<InventoryItem>(&stream, &events))
    }
}

fn total(offsets: Option<&Vec<i64>>) -> i64 {
    offsets.map(|o| o.iter().sum()).unwrap_or(0)
}

#[tokio::test]
async fn after_kill_9_mid_stream_the_read_models_equal_a_rebuild_and_facts_count_once() {
    let ns = TestNamespace::create("projector-crash").await.unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, mut first) = Shop::open(&mut log, 60);
    first.extend(shop.commits(&mut log, 3_000));
    log.send(first).await;
    let before_burst: i64 = log.ends().iter().sum();
    let burst = shop.commits(&mut log, 4_000);
    let rest = shop.commits(&mut log, 8_000);

    let mut projector = spawn_projector(&ns);
    let pool = pg(&ns).await;

    // Keep writing while the projector works; hold the last 8000 back until it has been killed,
    // so the restart certainly meets thousands of records still arriving.
    let (burst_started, started) = tokio::sync::oneshot::channel();
    let (killed, was_killed) = tokio::sync::oneshot::channel::<()>();
    let producer = log.producer.clone();
    let topic = log.topic.clone();
    let writer = tokio::spawn(async move {
        let mut delivered = Vec::new();
        let mut burst_started = Some(burst_started);
        for chunk in burst.chunks(500) {
            delivered.extend(send_with(&producer, &topic, chunk.to_vec()).await);
            if let Some(signal) = burst_started.take() {
                let _ = signal.send(());
            }
        }
        let _ = was_killed.await;
        for chunk in rest.chunks(500) {
            delivered.extend(send_with(&producer, &topic, chunk.to_vec()).await);
        }
        delivered
    });
    started.await.unwrap();
    eventually(
        Duration::from_secs(180),
        "the projector to commit batches of the burst",
        || async {
            let Some(positions) = positions(&ns, &pool).await else {
                return Ok(None);
            };
            let busy = ["catalog", "inventory", "stock_movements"]
                .iter()
                .all(|name| total(positions.get(*name)) > 0)
                && total(positions.get("inventory")) > before_burst;
            Ok(busy.then_some(()))
        },
    )
    .await
    .unwrap();
    projector.kill9().unwrap();
    killed.send(()).unwrap();

    let _projector = spawn_projector(&ns);
    let delivered = writer.await.unwrap();
    log.delivered(&delivered);
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(300)).await;

    // Postgres and ClickHouse equal a rebuild from offset 0, row for row.
    let config = Config::new(
        ns.kafka.clone(),
        &ns.database_url,
        &ns.clickhouse_url,
        &ns.clickhouse_database,
    );
    let report = rebuild::rebuild_check(&config, false).await.unwrap();
    assert!(report.matches(), "rebuild differs: {report:#?}");
    // This shop only writes products and stock; the checkout tables are covered by `checkout`.
    let shop_tables = ["catalog_products", "catalog_variants", "inventory_items"];
    assert!(
        report
            .tables
            .iter()
            .filter(|t| t.store == "clickhouse" || shop_tables.contains(&t.table.as_str()))
            .all(|t| t.live_rows > 0),
        "{report:#?}"
    );

    // Every movement counts exactly once after deduplication, and nothing else is a fact.
    let clickhouse = ch(&ns);
    let duplicated: u64 = clickhouse
        .query("SELECT count() FROM (SELECT event_id, count() AS n FROM stock_movements FINAL GROUP BY event_id HAVING n != 1)")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(duplicated, 0);
    let ids: Vec<String> = clickhouse
        .query("SELECT toString(event_id) FROM stock_movements FINAL")
        .fetch_all()
        .await
        .unwrap();
    let ids: BTreeSet<Uuid> = ids.iter().map(|id| Uuid::parse_str(id).unwrap()).collect();
    assert_eq!(ids, shop.movements);

    // Totals of the facts match the inventory read model, which matches the domain.
    let totals: Vec<(String, i64, i64)> = clickhouse
        .query("SELECT sku, sum(on_hand_delta), sum(reserved_delta) FROM stock_movements FINAL GROUP BY sku ORDER BY sku")
        .fetch_all()
        .await
        .unwrap();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT sku, on_hand, reserved FROM inventory_items WHERE on_hand <> 0 OR reserved <> 0 ORDER BY sku",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut expected: Vec<(String, i64, i64)> = shop
        .stock
        .streams()
        .map(|(_, item)| {
            let sku = item.registration().unwrap().sku.to_string();
            (sku, item.on_hand() as i64, item.reserved() as i64)
        })
        .filter(|(_, on_hand, reserved)| *on_hand != 0 || *reserved != 0)
        .collect();
    expected.sort();
    assert_eq!(rows, expected);
    let mut totals_sorted = totals.clone();
    totals_sorted.retain(|(_, on_hand, reserved)| *on_hand != 0 || *reserved != 0);
    assert_eq!(totals_sorted, expected);
}
