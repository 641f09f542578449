//! Two projectors on the same stores that both read every partition: the checkpoint fence keeps
//! every batch to one apply.
//!
//! Replicas of one deployment share the projector group and split the partitions
//! (`scale_out.rs`); here each projector is in a group of its own, as two deployments pointed
//! at the same stores by mistake would be, so both read every record and race for every batch.

use std::{collections::BTreeSet, time::Duration};

use projectors::{config::Config, rebuild};
use runtime::testing::{ChildProcess, TestNamespace};
use uuid::Uuid;

use crate::{
    crash::Shop,
    support::{Log, ch, pg, wait_caught_up},
};

/// Starts `agora-projector run` as the only member of its own projector group.
fn projector_in_group(ns: &TestNamespace, group: &str) -> ChildProcess {
    let group = format!("{}{group}-projectors", ns.kafka.topic_prefix);
    ns.spawn(
        "agora-projector",
        &["run"],
        &[
            ("AGORA_HEALTH_ADDR", "127.0.0.1:0"),
            ("AGORA_PROJECTOR_GROUP", group.as_str()),
        ],
    )
    .expect("agora-projector starts")
}

#[tokio::test]
async fn two_projectors_on_the_same_stores_never_apply_a_batch_twice() {
    let ns = TestNamespace::create("projector-twins").await.unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, first) = Shop::open(&mut log, 30);
    let _one = projector_in_group(&ns, "first");
    let _two = projector_in_group(&ns, "second");
    log.send(first).await;
    for _ in 0..6 {
        let chunk = shop.commits(&mut log, 1_000);
        log.send(chunk).await;
    }
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(300)).await;

    let config = Config::new(
        ns.kafka.clone(),
        &ns.database_url,
        &ns.clickhouse_url,
        &ns.clickhouse_database,
    );
    let report = rebuild::rebuild_check(&config, false).await.unwrap();
    assert!(report.matches(), "rebuild differs: {report:#?}");
    let ids: Vec<String> = ch(&ns)
        .query("SELECT toString(event_id) FROM stock_movements FINAL")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        ids.len(),
        shop.movements.len(),
        "each movement once after FINAL"
    );
    let ids: BTreeSet<Uuid> = ids.iter().map(|id| Uuid::parse_str(id).unwrap()).collect();
    assert_eq!(ids, shop.movements);
}
