//! Derived state from another log is reset, not served.

use std::time::Duration;

use domain::{
    inventory::{self, InventoryCommand, InventoryItem},
    values::Sku,
};
use projectors::{
    config::Config,
    migrate::{self, EpochCheck},
};
use runtime::testing::TestNamespace;
use uuid::Uuid;

use crate::support::{Log, Model, ch, pg, spawn_projector, wait_caught_up};

#[tokio::test]
async fn migrate_resets_derived_state_when_the_broker_holds_a_new_log() {
    let ns = TestNamespace::create("projector-epoch").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut stock = Model::<InventoryItem>::default();
    let sku = Sku::parse("EPOCH-1").unwrap();
    let stream = inventory::stream_id(&sku);
    let register = stock.decide(
        &stream,
        InventoryCommand::RegisterSku {
            sku: sku.clone(),
            product_id: Uuid::now_v7(),
            low_stock_threshold: 0,
        },
    );
    let receive = stock.decide(&stream, InventoryCommand::ReceiveStock { quantity: 4 });
    let records = vec![
        log.commit::<InventoryItem>(&stream, &register),
        log.commit::<InventoryItem>(&stream, &receive),
    ];
    log.send(records).await;
    let mut projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;
    projector.kill9().unwrap();

    let config = Config::new(
        ns.kafka.clone(),
        &ns.database_url,
        &ns.clickhouse_url,
        &ns.clickhouse_database,
    );
    let (_, unchanged) = migrate::migrate(&config).await.unwrap();
    assert_eq!(unchanged, EpochCheck::Unchanged);

    let restored = runtime::topics::write_log_epoch(&ns.kafka, "restore")
        .await
        .unwrap();
    let (stores, check) = migrate::migrate(&config).await.unwrap();
    assert_eq!(
        check,
        EpochCheck::Reset {
            previous: ns.log_epoch
        }
    );
    assert_eq!(stores.log_epoch, restored.log_epoch);

    let counts: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM inventory_items), (SELECT count(*) FROM projection_checkpoints)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (0, 0));
    let facts: u64 = ch(&ns)
        .query("SELECT count() FROM stock_movements")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(facts, 0);
    let recorded: String =
        sqlx::query_scalar("SELECT value FROM agora_meta WHERE key = 'log_epoch'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, restored.log_epoch.to_string());
}
