//! A commit from a replaced owner counts for no projection.

use std::time::Duration;

use domain::{
    inventory::{self, InventoryCommand, InventoryItem},
    product::{self, Product, ProductCommand},
    values::Sku,
};
use runtime::testing::TestNamespace;
use uuid::Uuid;

use crate::{
    catalog_and_inventory::{create, new_variant},
    support::{Log, Model, ch, pg, spawn_projector, wait_caught_up},
};

#[tokio::test]
async fn a_zombie_commit_after_a_newer_marker_is_skipped_by_every_projection() {
    let ns = TestNamespace::create("projector-zombie").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut products = Model::<Product>::default();
    let mut stock = Model::<InventoryItem>::default();

    let sku = Sku::parse("ZMB-1").unwrap();
    let sku_stream = inventory::stream_id(&sku);
    let shoe = Uuid::now_v7();
    let shoe_stream = product::stream_id(shoe);

    // The first owner's accepted commits.
    let register = stock.decide(
        &sku_stream,
        InventoryCommand::RegisterSku {
            sku: sku.clone(),
            product_id: shoe,
            low_stock_threshold: 1,
        },
    );
    let receive = stock.decide(&sku_stream, InventoryCommand::ReceiveStock { quantity: 10 });
    let created = products.decide(
        &shoe_stream,
        create(
            shoe,
            "Zombie Boot",
            "zombie-boot",
            vec![new_variant("ZMB-1", 5_000)],
        ),
    );
    let first = vec![
        log.commit::<InventoryItem>(&sku_stream, &register),
        log.commit::<InventoryItem>(&sku_stream, &receive),
        log.commit::<Product>(&shoe_stream, &created),
    ];
    log.send(first).await;

    // A new owner takes both partitions over; the old one keeps writing under its old epoch.
    let sku_partition = log.partition_of(&sku_stream);
    let shoe_partition = log.partition_of(&shoe_stream);
    let stale_sku_epoch = log.epoch(sku_partition);
    let stale_shoe_epoch = log.epoch(shoe_partition);
    log.marker(sku_partition).await;
    if shoe_partition != sku_partition {
        log.marker(shoe_partition).await;
    }
    let zombie_receive = stock.peek(&sku_stream, InventoryCommand::ReceiveStock { quantity: 5 });
    let zombie_publish = products.peek(&shoe_stream, ProductCommand::PublishProduct {});
    let zombies = vec![
        log.commit_at::<InventoryItem>(&sku_stream, &zombie_receive, stale_sku_epoch),
        log.commit_at::<Product>(&shoe_stream, &zombie_publish, stale_shoe_epoch),
    ];
    let zombie_ids: Vec<String> = zombies
        .iter()
        .flat_map(|z| z.events.iter().map(|(id, _)| id.to_string()))
        .collect();

    // The new owner's commits count.
    let receive_more = stock.decide(&sku_stream, InventoryCommand::ReceiveStock { quantity: 1 });
    let renamed = products.decide(
        &shoe_stream,
        ProductCommand::UpdateProductDetails {
            name: Some("Zombie Boot II".into()),
            description: None,
            category: None,
            brand: None,
            attributes: None,
        },
    );
    let mut records = zombies;
    records.push(log.commit::<InventoryItem>(&sku_stream, &receive_more));
    records.push(log.commit::<Product>(&shoe_stream, &renamed));
    log.send(records).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    let (on_hand, stream_version): (i64, i64) =
        sqlx::query_as("SELECT on_hand, stream_version FROM inventory_items WHERE sku = $1")
            .bind(sku.as_str())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(on_hand, stock.state(&sku_stream).on_hand() as i64);
    assert_eq!(stream_version, log.next_version(&sku_stream) as i64 - 1);

    let (name, status): (String, String) =
        sqlx::query_as("SELECT name, status FROM catalog_products WHERE product_id = $1")
            .bind(shoe)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(name, "Zombie Boot II");
    assert_eq!(status, "draft", "the zombie's publish must not count");

    let facts: Vec<String> = ch(&ns)
        .query("SELECT toString(event_id) FROM stock_movements FINAL WHERE sku = ? ORDER BY stream_version")
        .bind(sku.as_str())
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(facts.len(), 2, "receipts of 10 and 1, not the zombie's 5");
    assert!(facts.iter().all(|id| !zombie_ids.contains(id)));
}
