//! Ownership and fencing: takeovers, zombie processors, and readers that skip zombie writes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{collections::HashSet, time::Duration};

use chrono::Utc;
use rdkafka::producer::FutureRecord;
use runtime::log::{Counted, ItemKind};
use schemas::{Commit, EventEnvelope, LogRecord, OwnershipMarker};
use serde_json::json;
use support::{WriteSide, counted_events, scan_log};
use uuid::Uuid;

async fn append(side: &WriteSide, partition: i32, record: &LogRecord) -> i64 {
    let producer = runtime::kafka::producer(&side.ns.kafka).unwrap();
    let payload = serde_json::to_vec(record).unwrap();
    let topic = side.ns.kafka.topics().events;
    producer
        .send(
            FutureRecord::<str, _>::to(&topic)
                .partition(partition)
                .payload(&payload),
            Duration::from_secs(10),
        )
        .await
        .unwrap()
        .offset
}

fn adjust_commit(stream: &str, epoch: i64, version: u64, delta: i64, on_hand: i64) -> LogRecord {
    LogRecord::Commit(Commit {
        stream: stream.into(),
        from_version: version,
        epoch,
        command_id: Uuid::now_v7(),
        request_hash: None,
        accepted_at: Utc::now(),
        events: vec![EventEnvelope {
            event_id: Uuid::now_v7(),
            stream: stream.into(),
            version,
            event_type: "StockAdjusted".into(),
            schema: 2,
            occurred_at: Utc::now(),
            command_id: Uuid::nil(),
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            actor: "test:zombie".into(),
            data: json!({ "delta": delta, "reason": "zombie", "on_hand": on_hand, "reserved": 0 }),
        }],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zombie_commit_in_the_log_is_skipped_when_a_processor_hydrates() {
    let mut side = WriteSide::start("zombie-hydration", 1, 1).await.unwrap();
    side.create_product("zombie-sock", &["ZOMB-1"])
        .await
        .unwrap();
    let (status, _) = side
        .post(
            0,
            "/inventory/ZOMB-1/receive",
            json!({ "quantity": 10 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    // Stop the owner, then forge what a replaced owner would leave behind: a newer marker
    // (another processor took over) followed by a late commit under the old epoch.
    side.processors.clear();
    let stream = "inventory-ZOMB-1";
    let partition = runtime::kafka::partition_for(stream, side.ns.kafka.partitions);
    let log = scan_log(&side.ns).await.unwrap();
    let old_epoch = log
        .iter()
        .filter(|i| i.partition == partition && matches!(i.kind, ItemKind::Marker { .. }))
        .map(|i| i.offset)
        .max()
        .unwrap();
    let version = counted_events(&log, stream).len() as u64 + 1;
    let marker = LogRecord::Marker(OwnershipMarker {
        owner: "other".into(),
        written_at: Utc::now(),
    });
    append(&side, partition, &marker).await;
    append(
        &side,
        partition,
        &adjust_commit(stream, old_epoch, version, -10, 0),
    )
    .await;

    side.start_processor().unwrap();
    // If the zombie counted, on-hand would be 0 and this would be refused.
    let (status, body) = side
        .post(
            0,
            "/inventory/ZOMB-1/adjust",
            json!({ "delta": -10, "reason": "sold" }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let log = scan_log(&side.ns).await.unwrap();
    let zombies = log
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Zombie { .. }))
        .count();
    assert_eq!(zombies, 1, "the reader reports the zombie write as skipped");
    let on_hand: Vec<i64> = counted_events(&log, stream)
        .iter()
        .filter_map(|e| e.data.get("on_hand").and_then(|v| v.as_i64()))
        .collect();
    assert_eq!(
        on_hand,
        vec![10, 0],
        "only the real receive and the real adjustment count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_processor_is_replaced_and_none_of_its_late_writes_count() {
    let mut side = WriteSide::start("zombie-live", 0, 1).await.unwrap();
    // The first processor lingers 300 ms between deciding and appending, so freezing it almost
    // always catches it holding a decided batch it will append after being replaced.
    side.start_processor_with(&[("AGORA_FAULT_APPEND_DELAY_MS", "300")])
        .unwrap();
    side.create_product("live-sock", &["LIVE-1", "LIVE-2", "LIVE-3", "LIVE-4"])
        .await
        .unwrap();
    for sku in ["LIVE-1", "LIVE-2", "LIVE-3", "LIVE-4"] {
        let (status, _) = side
            .post(
                0,
                &format!("/inventory/{sku}/receive"),
                json!({ "quantity": 1000 }),
                None,
            )
            .await
            .unwrap();
        assert_eq!(status, 200);
    }
    side.start_processor().unwrap(); // a second member: shares partitions after a rebalance

    // A steady stream of decrements while the first processor is frozen past its session
    // timeout, then thawed: whatever it had in hand it may write, but must not acknowledge.
    let side_ref = &side;
    let load = async move {
        let mut results = Vec::new();
        for round in 0..30 {
            let batch = (0..8).map(|i| {
                let sku = ["LIVE-1", "LIVE-2", "LIVE-3", "LIVE-4"][i % 4];
                async move {
                    side_ref
                        .post(
                            0,
                            &format!("/inventory/{sku}/adjust"),
                            json!({ "delta": -1, "reason": "sold" }),
                            Some(&format!("r{round}-{i}")),
                        )
                        .await
                        .map(|(status, body)| (sku, status, body))
                }
            });
            results.extend(futures::future::join_all(batch).await);
        }
        results
    };
    let chaos = async {
        tokio::time::sleep(Duration::from_millis(450)).await;
        side_ref.processors[0].signal("STOP").unwrap();
        // Past the 3 s session timeout so the group hands its partitions to the other member.
        tokio::time::sleep(Duration::from_secs(6)).await;
        side_ref.processors[0].signal("CONT").unwrap();
    };
    let (results, ()) = tokio::join!(load, chaos);

    let log = scan_log(&side.ns).await.unwrap();
    let counted_commands: HashSet<Uuid> = log
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Counted(Counted::Commit(c)) => Some(c.command_id),
            _ => None,
        })
        .collect();
    let mut accepted = 0;
    for result in &results {
        let (sku, status, body) = result.as_ref().unwrap();
        assert!(matches!(status, 200 | 202), "{sku}: {status} {body}");
        if *status == 200 {
            accepted += 1;
            let id: Uuid = body["command_id"].as_str().unwrap().parse().unwrap();
            assert!(
                counted_commands.contains(&id),
                "an acknowledged command is missing from the counted log"
            );
        }
    }
    assert!(accepted > 0);
    // Every counted command appears once; stock per SKU equals 1000 minus counted decrements.
    for sku in ["LIVE-1", "LIVE-2", "LIVE-3", "LIVE-4"] {
        let events = counted_events(&log, &format!("inventory-{sku}"));
        let decrements = events
            .iter()
            .filter(|e| e.event_type == "StockAdjusted")
            .count() as i64;
        let last = events
            .iter()
            .rev()
            .find_map(|e| e.data.get("on_hand").and_then(|v| v.as_i64()))
            .unwrap();
        assert_eq!(
            last,
            1000 - decrements,
            "{sku}: counted history is consistent"
        );
        let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
        assert_eq!(
            versions,
            (1..=events.len() as u64).collect::<Vec<_>>(),
            "{sku}: versions gap-free"
        );
    }
    let owners: HashSet<String> = log
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Marker { owner } => Some(owner.clone()),
            _ => None,
        })
        .collect();
    assert!(
        owners.len() >= 2,
        "the second processor took over partitions: {owners:?}"
    );
    let zombies = log
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Zombie { .. }))
        .count();
    eprintln!("live fencing run: {accepted} acknowledged, {zombies} zombie writes skipped");
}
