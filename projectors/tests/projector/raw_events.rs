//! The raw `events` table in ClickHouse: one row per event of every counted commit, exactly
//! once, also across a kill -9 of the projector mid-stream.

use std::{collections::BTreeSet, time::Duration};

use clickhouse::Row;
use domain::{
    inventory::{self, InventoryCommand, InventoryItem},
    values::Sku,
};
use projectors::{analytics, projections::event_log};
use runtime::testing::{TestNamespace, eventually};
use serde::Deserialize;
use uuid::Uuid;

use crate::support::{Log, Model, Pending, ch, envelope, spawn_projector};

/// Commits of `skus` SKUs, each registered and then receiving stock `receipts` times.
fn stock_commits(
    log: &mut Log,
    stock: &mut Model<InventoryItem>,
    label: &str,
    skus: usize,
    receipts: u32,
) -> Vec<Pending> {
    let mut records = Vec::new();
    for i in 0..skus {
        let sku = Sku::parse(&format!("{label}-{i}")).unwrap();
        let stream = inventory::stream_id(&sku);
        let register = stock.decide(
            &stream,
            InventoryCommand::RegisterSku {
                sku,
                product_id: Uuid::now_v7(),
                low_stock_threshold: 0,
            },
        );
        records.push(log.commit::<InventoryItem>(&stream, &register));
        for quantity in 1..=receipts {
            let receive = stock.decide(&stream, InventoryCommand::ReceiveStock { quantity });
            records.push(log.commit::<InventoryItem>(&stream, &receive));
        }
    }
    records
}

/// The event ids `records` carry.
fn ids_of(records: &[Pending]) -> BTreeSet<Uuid> {
    records
        .iter()
        .flat_map(|r| r.events.iter().map(|(id, _)| *id))
        .collect()
}

/// Waits until the raw events projection has read every record `log` wrote.
async fn wait_events_caught_up(ns: &TestNamespace, log: &Log, timeout: Duration) {
    let marks = log.ends();
    let client = ch(ns);
    eventually(
        timeout,
        "the raw events to reach the end of the log",
        || {
            let (client, marks) = (client.clone(), marks.clone());
            async move {
                // Before the projector's migrations ran there is no positions table yet.
                let Ok(positions) = analytics::load_positions(
                    &client,
                    event_log::NAME,
                    ns.log_epoch,
                    ns.kafka.partitions,
                )
                .await
                else {
                    return Ok(None);
                };
                let reached: Vec<i64> = positions.iter().map(|p| p.next_offset).collect();
                Ok((reached == marks).then_some(()))
            }
        },
    )
    .await
    .unwrap_or_else(|error| panic!("{error}: log ends at {marks:?}"));
}

#[derive(Debug, Row, Deserialize)]
struct StoredId {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
}

#[derive(Debug, Row, Deserialize)]
struct Counts {
    rows_final: u64,
    distinct_ids: u64,
    /// Every stored copy, before merges: more than the events when a batch was replayed.
    rows_stored: u64,
}

/// The ids in `events` (read with FINAL), with the row count under FINAL and the number of
/// distinct ids over every stored copy.
async fn stored(client: &clickhouse::Client) -> (BTreeSet<Uuid>, Counts) {
    let ids: Vec<StoredId> = client
        .query("SELECT event_id FROM events FINAL")
        .fetch_all()
        .await
        .unwrap();
    let counts: Counts = client
        .query(
            // Aliases differ from column names: 18.16 resolves them inside aggregates.
            "SELECT (SELECT count() FROM events FINAL) AS rows_final,
                    (SELECT uniqExact(event_id) FROM events) AS distinct_ids,
                    (SELECT count() FROM events) AS rows_stored",
        )
        .fetch_one()
        .await
        .unwrap();
    (ids.into_iter().map(|r| r.event_id).collect(), counts)
}

#[tokio::test]
async fn every_counted_event_lands_once_and_zombie_writes_do_not() {
    let ns = TestNamespace::create("projector-raw-events").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut stock = Model::<InventoryItem>::default();
    let counted = stock_commits(&mut log, &mut stock, "RAW", 6, 3);
    log.send(counted.clone()).await;

    // An event the projections cannot decode is still an event of the log.
    let stream = inventory::stream_id(&Sku::parse("RAW-0").unwrap());
    let partition = log.partition_of(&stream);
    let odd_version = log.next_version(&stream);
    let odd = envelope(
        &stream,
        odd_version,
        "StockReceived",
        1,
        serde_json::json!({ "quantity": "lots" }),
        Uuid::now_v7(),
    );
    let odd_commit = log.commit_envelopes(&stream, odd_version, vec![odd], log.epoch(partition));
    log.send(vec![odd_commit.clone()]).await;

    // A processor was replaced: its late write is a zombie, which no reader counts.
    let stale_epoch = log.epoch(partition);
    log.marker(partition).await;
    let late = stock.peek(&stream, InventoryCommand::ReceiveStock { quantity: 9 });
    let zombie = log.commit_at::<InventoryItem>(&stream, &late, stale_epoch);
    log.send(vec![zombie.clone()]).await;

    let _projector = spawn_projector(&ns);
    wait_events_caught_up(&ns, &log, Duration::from_secs(120)).await;

    let mut want = ids_of(&counted);
    want.extend(ids_of(std::slice::from_ref(&odd_commit)));
    let (ids, counts) = stored(&ch(&ns)).await;
    assert_eq!(ids, want, "the counted events, and only those");
    assert_eq!(counts.rows_final, want.len() as u64);
    assert!(ids.is_disjoint(&ids_of(&[zombie])));

    #[derive(Debug, Row, Deserialize)]
    struct Odd {
        event_type: String,
        schema_version: u32,
        stream_version: u64,
        partition: i32,
        payload: String,
    }
    let odd_id = odd_commit.events[0].0;
    let stored_odd: Odd = ch(&ns)
        .query(
            "SELECT event_type, schema_version, stream_version, partition, payload
             FROM events FINAL WHERE event_id = toUUID(?)",
        )
        .bind(odd_id.to_string())
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(stored_odd.event_type, "StockReceived");
    assert_eq!(stored_odd.schema_version, 1);
    assert_eq!(stored_odd.stream_version, odd_version);
    assert_eq!(stored_odd.partition, partition);
    assert_eq!(stored_odd.payload, r#"{"quantity":"lots"}"#);
}

#[tokio::test]
async fn after_kill_9_mid_stream_every_event_is_stored_exactly_once() {
    let ns = TestNamespace::create("projector-raw-events-crash")
        .await
        .unwrap();
    let mut log = Log::open(&ns).await;
    let mut stock = Model::<InventoryItem>::default();
    // Several batches' worth (a batch takes up to 1000 records), so the kill lands mid-stream.
    let first = stock_commits(&mut log, &mut stock, "CRASH-A", 100, 20);
    let rest = stock_commits(&mut log, &mut stock, "CRASH-B", 100, 20);
    let mut want = ids_of(&first);
    want.extend(ids_of(&rest));
    log.send(first).await;

    let mut projector = spawn_projector(&ns);
    let client = ch(&ns);
    eventually(
        Duration::from_secs(180),
        "the raw events to commit a first batch",
        || {
            let client = client.clone();
            let ns = &ns;
            async move {
                let Ok(positions) = analytics::load_positions(
                    &client,
                    event_log::NAME,
                    ns.log_epoch,
                    ns.kafka.partitions,
                )
                .await
                else {
                    return Ok(None);
                };
                Ok(positions.iter().any(|p| p.next_offset > 0).then_some(()))
            }
        },
    )
    .await
    .unwrap();
    projector.kill9().unwrap();
    let at_kill = analytics::load_positions(&client, event_log::NAME, ns.log_epoch, 4)
        .await
        .unwrap();
    eprintln!(
        "killed at {:?} of {:?}",
        at_kill.iter().map(|p| p.next_offset).collect::<Vec<_>>(),
        log.ends()
    );
    log.send(rest).await;

    let _projector = spawn_projector(&ns);
    wait_events_caught_up(&ns, &log, Duration::from_secs(240)).await;
    let (ids, counts) = stored(&client).await;
    eprintln!("stored: {counts:?} for {} events", want.len());
    assert_eq!(ids.len(), want.len());
    assert_eq!(ids, want);
    assert_eq!(
        counts.rows_final,
        want.len() as u64,
        "no duplicate under FINAL"
    );
    assert_eq!(
        counts.distinct_ids,
        want.len() as u64,
        "every stored copy is of an event of the log"
    );
    assert!(counts.rows_stored >= counts.rows_final);
}
