//! SIGTERM drains the projector: loops finish their batch, commit, and the process exits 0.

use std::time::Duration;

use domain::{
    inventory::{self, InventoryCommand, InventoryItem},
    values::Sku,
};
use runtime::testing::{TestNamespace, eventually};
use uuid::Uuid;

use crate::support::{Log, Model, pg, spawn_projector, wait_caught_up};

#[tokio::test]
async fn the_projector_exits_cleanly_on_sigterm() {
    let ns = TestNamespace::create("projector-sigterm").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut stock = Model::<InventoryItem>::default();
    let sku = Sku::parse("TERM-1").unwrap();
    let stream = inventory::stream_id(&sku);
    let events = stock.decide(
        &stream,
        InventoryCommand::RegisterSku {
            sku: sku.clone(),
            product_id: Uuid::now_v7(),
            low_stock_threshold: 0,
        },
    );
    let record = log.commit::<InventoryItem>(&stream, &events);
    log.send(vec![record]).await;
    let mut projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    projector.signal("TERM").unwrap();
    let status = eventually(Duration::from_secs(20), "the projector to exit", || {
        let exited = projector.child.try_wait().map_err(anyhow::Error::from);
        async move { exited }
    })
    .await
    .unwrap();
    assert!(status.success(), "exit status {status}");
}
