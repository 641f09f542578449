//! Two projectors on the same stores: the checkpoint fence keeps every batch to one apply.

use std::{collections::BTreeSet, time::Duration};

use projectors::{config::Config, rebuild};
use runtime::testing::TestNamespace;
use uuid::Uuid;

use crate::{
    crash::Shop,
    support::{Log, ch, pg, spawn_projector, wait_caught_up},
};

#[tokio::test]
async fn two_projectors_on_the_same_stores_never_apply_a_batch_twice() {
    let ns = TestNamespace::create("projector-twins").await.unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, first) = Shop::open(&mut log, 30);
    let _one = spawn_projector(&ns);
    let _two = spawn_projector(&ns);
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
