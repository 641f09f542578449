//! Records a projection cannot use go to the DLQ, and the projection carries on past them.

use std::{collections::BTreeSet, time::Duration};

use domain::{
    inventory::{self, InventoryCommand, InventoryItem},
    product::{self, Product},
    values::Sku,
};
use runtime::testing::{TestNamespace, eventually};
use uuid::Uuid;

use crate::catalog_and_inventory::{create, new_variant};
use crate::support::{Log, Model, dead_letters, envelope, pg, spawn_projector, wait_caught_up};

#[tokio::test]
async fn a_poison_record_and_an_undecodable_event_land_in_the_dlq_and_projection_continues() {
    let ns = TestNamespace::create("projector-dlq").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut stock = Model::<InventoryItem>::default();
    let sku = Sku::parse("DLQ-1").unwrap();
    let stream = inventory::stream_id(&sku);
    let partition = log.partition_of(&stream);

    let register = stock.decide(
        &stream,
        InventoryCommand::RegisterSku {
            sku: sku.clone(),
            product_id: Uuid::now_v7(),
            low_stock_threshold: 0,
        },
    );
    let receive = stock.decide(&stream, InventoryCommand::ReceiveStock { quantity: 10 });
    let first = vec![
        log.commit::<InventoryItem>(&stream, &register),
        log.commit::<InventoryItem>(&stream, &receive),
    ];
    log.send(first).await;

    let poison_offset = log
        .send_raw(partition, b"\xff\xfe this is not a log record")
        .await;

    // A well-formed commit whose event does not fit its type.
    let bad = envelope(
        &stream,
        log.next_version(&stream),
        "StockReceived",
        1,
        serde_json::json!({ "quantity": "lots" }),
        Uuid::now_v7(),
    );
    let bad_event = bad.event_id;
    let bad_commit = log.commit_envelopes(
        &stream,
        log.next_version(&stream),
        vec![bad],
        log.epoch(partition),
    );
    let bad_offset = log.send(vec![bad_commit]).await[0].1;

    let receive_more = stock.decide(&stream, InventoryCommand::ReceiveStock { quantity: 3 });
    let after = log.commit::<InventoryItem>(&stream, &receive_more);
    log.send(vec![after]).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    let on_hand: i64 = sqlx::query_scalar("SELECT on_hand FROM inventory_items WHERE sku = $1")
        .bind(sku.as_str())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        on_hand,
        stock.state(&stream).on_hand() as i64,
        "the receipt after the poison counts"
    );

    // Every projection reads every record, so each one dead-letters the poison.
    let poisoned: BTreeSet<&str> = projectors::projections::POSTGRES_PROJECTIONS
        .iter()
        .copied()
        .chain([
            "stock_movements",
            "sales_facts",
            "event_log",
            "notifications",
        ])
        .collect();
    let undecodable = BTreeSet::from(["inventory", "stock_movements", "notifications"]);
    eventually(
        Duration::from_secs(30),
        "the dead letters of both records",
        || async {
            let letters = dead_letters(&ns).await;
            assert!(
                letters
                    .iter()
                    .all(|l| l.origin_topic == ns.kafka.topics().events)
            );
            let for_poison: BTreeSet<&str> = letters
                .iter()
                .filter(|l| l.origin_partition == partition && l.origin_offset == poison_offset)
                .map(|l| l.projection.as_str())
                .collect();
            let for_bad_event: BTreeSet<&str> = letters
                .iter()
                .filter(|l| l.origin_offset == bad_offset && l.event_id == Some(bad_event))
                .map(|l| l.projection.as_str())
                .collect();
            eprintln!(
                "dead letters so far: poison {for_poison:?}, bad event {for_bad_event:?} of {}",
                letters.len()
            );
            Ok((for_poison == poisoned && for_bad_event == undecodable).then_some(()))
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_commit_that_breaks_a_catalog_constraint_is_dead_lettered_and_its_batch_still_applies() {
    let ns = TestNamespace::create("projector-slug").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut products = Model::<Product>::default();
    let ids = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
    let slugs = ["same-slug", "same-slug", "other-slug"];
    let mut records = Vec::new();
    for (i, (id, slug)) in ids.iter().zip(slugs).enumerate() {
        let stream = product::stream_id(*id);
        let variant = new_variant(&format!("SLUG-{i}"), 100);
        let events = products.decide(&stream, create(*id, "Twin", slug, vec![variant]));
        records.push(log.commit::<Product>(&stream, &events));
    }
    let positions = log.send(records).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    let stored: BTreeSet<Uuid> = sqlx::query_scalar("SELECT product_id FROM catalog_products")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    // The twins live in different partitions, so either may be read first; the other loses.
    let loser = match (stored.contains(&ids[0]), stored.contains(&ids[1])) {
        (true, false) => 1,
        (false, true) => 0,
        both => panic!("exactly one twin must be stored, found {both:?}"),
    };
    assert!(
        stored.contains(&ids[2]),
        "the unrelated product of the batch applies"
    );
    assert_eq!(stored.len(), 2);
    let (partition, offset) = positions[loser];
    eventually(
        Duration::from_secs(30),
        "the dead letter of the losing twin",
        || async {
            let letters = dead_letters(&ns).await;
            let found = letters.iter().any(|l| {
                l.projection == "catalog"
                    && l.origin_partition == partition
                    && l.origin_offset == offset
                    && l.error.contains("duplicate")
            });
            Ok(found.then_some(()))
        },
    )
    .await
    .unwrap();
}
