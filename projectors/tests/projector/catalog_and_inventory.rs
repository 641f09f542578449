//! Events become catalog rows, inventory rows and stock movement facts.

use std::{collections::BTreeMap, time::Duration};

use chrono::Utc;
use domain::{
    inventory::{self, InventoryCommand, InventoryItem},
    product::{self, NewVariant, Product, ProductCommand},
    values::{Currency, Money, Sku},
};
use runtime::testing::TestNamespace;
use uuid::Uuid;

use crate::support::{Log, Model, ch, pg, spawn_projector, wait_caught_up};

pub fn eur(amount_minor: i64) -> Money {
    Money {
        amount_minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

pub fn new_variant(sku: &str, amount_minor: i64) -> NewVariant {
    NewVariant {
        sku: Sku::parse(sku).unwrap(),
        name: format!("Size {sku}"),
        price: eur(amount_minor),
        attributes: BTreeMap::from([("size".to_string(), sku.to_string())]),
    }
}

pub fn create(
    product_id: Uuid,
    name: &str,
    slug: &str,
    variants: Vec<NewVariant>,
) -> ProductCommand {
    ProductCommand::CreateProduct {
        product_id,
        name: name.into(),
        slug: slug.into(),
        description: "Light and grippy for muddy trails".into(),
        category: "shoes".into(),
        brand: "Acme".into(),
        attributes: BTreeMap::from([("material".to_string(), "mesh".to_string())]),
        variants,
    }
}

/// sku, product_id, on_hand, reserved, available, low_stock_threshold, low_stock, stream_version
type InventoryRow = (String, Option<Uuid>, i64, i64, i64, i64, bool, i64);

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct ProductRow {
    slug: String,
    name: String,
    description: String,
    status: String,
    currency: Option<String>,
    min_price_minor: Option<i64>,
    max_price_minor: Option<i64>,
    variant_count: i32,
    stream_version: i64,
    attributes: serde_json::Value,
}

#[tokio::test]
async fn events_become_catalog_rows_inventory_rows_and_stock_movements() {
    let ns = TestNamespace::create("projector-rows").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut products = Model::<Product>::default();
    let mut stock = Model::<InventoryItem>::default();

    let shoe = Uuid::now_v7();
    let shoe_stream = product::stream_id(shoe);
    let gone = Uuid::now_v7();
    let gone_stream = product::stream_id(gone);
    let product_commands = [
        (
            &shoe_stream,
            create(
                shoe,
                "Trail Running Shoe",
                "trail-running-shoe",
                vec![new_variant("TRS-40", 10_000), new_variant("TRS-41", 15_000)],
            ),
        ),
        (
            &shoe_stream,
            ProductCommand::UpdateProductDetails {
                name: None,
                description: Some("Now with a rock plate".into()),
                category: None,
                brand: None,
                attributes: None,
            },
        ),
        (
            &shoe_stream,
            ProductCommand::AddVariant {
                variant: new_variant("TRS-42", 8_000),
            },
        ),
        (
            &shoe_stream,
            ProductCommand::ChangeVariantPrice {
                sku: Sku::parse("TRS-41").unwrap(),
                price: eur(12_000),
            },
        ),
        (
            &shoe_stream,
            ProductCommand::RetireVariant {
                sku: Sku::parse("TRS-40").unwrap(),
            },
        ),
        (&shoe_stream, ProductCommand::PublishProduct {}),
        (
            &gone_stream,
            create(
                gone,
                "Old Sandal",
                "old-sandal",
                vec![new_variant("SAN-1", 3_000)],
            ),
        ),
        (&gone_stream, ProductCommand::DeleteProduct {}),
    ];
    let mut records = Vec::new();
    for (stream, command) in product_commands {
        let events = products.decide(stream, command);
        records.push(log.commit::<Product>(stream, &events));
    }

    let sku = Sku::parse("TRS-42").unwrap();
    let sku_stream = inventory::stream_id(&sku);
    let empty = Sku::parse("TRS-41").unwrap();
    let empty_stream = inventory::stream_id(&empty);
    let (order_a, order_b) = (Uuid::now_v7(), Uuid::now_v7());
    let expires_at = Utc::now() + chrono::Duration::minutes(15);
    let inventory_commands = [
        (
            &sku_stream,
            InventoryCommand::RegisterSku {
                sku: sku.clone(),
                product_id: shoe,
                low_stock_threshold: 5,
            },
        ),
        (&sku_stream, InventoryCommand::ReceiveStock { quantity: 20 }),
        (
            &sku_stream,
            InventoryCommand::ReserveStock {
                order_id: order_a,
                line: 1,
                quantity: 4,
                expires_at,
            },
        ),
        (
            &sku_stream,
            InventoryCommand::CommitStock {
                order_id: order_a,
                line: 1,
            },
        ),
        (
            &sku_stream,
            InventoryCommand::ReserveStock {
                order_id: order_b,
                line: 1,
                quantity: 3,
                expires_at,
            },
        ),
        (
            &sku_stream,
            InventoryCommand::ReleaseStock {
                order_id: order_b,
                line: 1,
            },
        ),
        (
            &sku_stream,
            InventoryCommand::AdjustStock {
                delta: -2,
                reason: "damaged".into(),
            },
        ),
        (
            &sku_stream,
            InventoryCommand::ReserveStock {
                order_id: order_b,
                line: 2,
                quantity: 1,
                expires_at,
            },
        ),
        (
            &sku_stream,
            InventoryCommand::SetLowStockThreshold { threshold: 15 },
        ),
        (
            &empty_stream,
            InventoryCommand::RegisterSku {
                sku: empty.clone(),
                product_id: shoe,
                low_stock_threshold: 2,
            },
        ),
    ];
    let mut movement_events = Vec::new();
    for (stream, command) in inventory_commands {
        let events = stock.decide(stream, command);
        let pending = log.commit::<InventoryItem>(stream, &events);
        for ((event_id, _), event) in pending.events.iter().zip(&events) {
            if event.stock_after().is_some() {
                movement_events.push(*event_id);
            }
        }
        records.push(pending);
    }
    log.send(records).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    // Catalog.
    let shoe_row: ProductRow = sqlx::query_as(
        "SELECT slug, name, description, status, currency, min_price_minor, max_price_minor,
                variant_count, stream_version, attributes
         FROM catalog_products WHERE product_id = $1",
    )
    .bind(shoe)
    .fetch_one(&pool)
    .await
    .unwrap();
    let state = products.state(&shoe_stream);
    let details = state.details().unwrap();
    let active: Vec<_> = state.variants().iter().filter(|v| !v.retired).collect();
    assert_eq!(
        shoe_row,
        ProductRow {
            slug: details.slug.clone(),
            name: details.name.clone(),
            description: details.description.clone(),
            status: "published".into(),
            currency: Some("EUR".into()),
            min_price_minor: active.iter().map(|v| v.price.amount_minor).min(),
            max_price_minor: active.iter().map(|v| v.price.amount_minor).max(),
            variant_count: active.len() as i32,
            stream_version: log.next_version(&shoe_stream) as i64 - 1,
            attributes: serde_json::to_value(&details.attributes).unwrap(),
        }
    );
    let variants: Vec<(String, i64, bool, i32)> = sqlx::query_as(
        "SELECT sku, price_minor, retired, position FROM catalog_variants
         WHERE product_id = $1 ORDER BY position",
    )
    .bind(shoe)
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<(String, i64, bool, i32)> = state
        .variants()
        .iter()
        .enumerate()
        .map(|(i, v)| (v.sku.to_string(), v.price.amount_minor, v.retired, i as i32))
        .collect();
    assert_eq!(variants, expected);
    let status: String =
        sqlx::query_scalar("SELECT status FROM catalog_products WHERE product_id = $1")
            .bind(gone)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "deleted");
    let found: Vec<Uuid> = sqlx::query_scalar(
        "SELECT product_id FROM catalog_products
         WHERE search @@ websearch_to_tsquery('english', 'running shoes') ORDER BY product_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(found, vec![shoe]);
    let by_description: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM catalog_products WHERE search @@ websearch_to_tsquery('english', 'rock plate')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(by_description, 1);

    // Inventory.
    let rows: Vec<InventoryRow> = sqlx::query_as(
        "SELECT sku, product_id, on_hand, reserved, available, low_stock_threshold, low_stock,
                stream_version
         FROM inventory_items ORDER BY sku",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut expected: Vec<InventoryRow> = [&sku_stream, &empty_stream]
        .iter()
        .map(|stream| {
            let item = stock.state(stream);
            let registration = item.registration().unwrap();
            (
                registration.sku.to_string(),
                Some(registration.product_id),
                item.on_hand() as i64,
                item.reserved() as i64,
                item.available() as i64,
                i64::from(item.low_stock_threshold()),
                item.is_low(),
                log.next_version(stream) as i64 - 1,
            )
        })
        .collect();
    expected.sort();
    assert_eq!(rows, expected);

    // Stock movements.
    let facts: Vec<(String, String, i64, i64, i64, i64, String)> = ch(&ns)
        .query(
            "SELECT toString(event_id), movement, quantity, on_hand_delta, reserved_delta, on_hand,
                    toString(product_id)
             FROM stock_movements FINAL WHERE sku = ? ORDER BY stream_version",
        )
        .bind(sku.as_str())
        .fetch_all()
        .await
        .unwrap();
    let ids: Vec<String> = facts.iter().map(|f| f.0.clone()).collect();
    let expected_ids: Vec<String> = movement_events.iter().map(Uuid::to_string).collect();
    assert_eq!(ids, expected_ids);
    let kinds: Vec<(&str, i64, i64, i64)> = facts
        .iter()
        .map(|f| (f.1.as_str(), f.2, f.3, f.4))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("received", 20, 20, 0),
            ("reserved", 4, 0, 4),
            ("committed", -4, -4, -4),
            ("reserved", 3, 0, 3),
            ("released", -3, 0, -3),
            ("adjusted", -2, -2, 0),
            ("reserved", 1, 0, 1),
        ]
    );
    assert!(facts.iter().all(|f| f.6 == shoe.to_string()));
    let last_on_hand = facts.last().map(|f| f.5);
    assert_eq!(
        last_on_hand,
        Some(stock.state(&sku_stream).on_hand() as i64)
    );
}
