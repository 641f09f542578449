//! `agora-projector dlq list | redrive` against the real stack: a commit the catalog refuses is
//! listed, stays pending while it still fails, is re-driven once the conflict is gone, and is
//! never applied twice; a ClickHouse fact is re-driven with what its projection knows.

use std::{process::Command, time::Duration};

use domain::{
    inventory::{self, InventoryCommand, InventoryItem},
    product::{self, Product},
    values::Sku,
};
use projectors::dlq::DeadLetters;
use runtime::testing::{TestNamespace, binary_path, eventually};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    catalog_and_inventory::{create, new_variant},
    support::{Log, Model, ch, pg, spawn_projector, wait_caught_up},
};

/// What a run of the CLI printed and how it exited.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `agora-projector dlq <args>` in the namespace and waits for it.
async fn dlq(ns: &TestNamespace, args: &[&str]) -> Run {
    let mut command = Command::new(binary_path("agora-projector"));
    command.arg("dlq").args(args).envs(ns.env());
    if std::env::var("TEST_LOG").is_err() {
        command.env("RUST_LOG", "warn");
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("agora-projector runs (build it with `cargo build -p projectors --bins`)");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    eprintln!("dlq {args:?} -> {run:#?}");
    run
}

/// The `dlq list --json` letter about `origin` for the catalog, if listed.
async fn listed(ns: &TestNamespace, (partition, offset): (i32, i64)) -> Option<serde_json::Value> {
    let run = dlq(ns, &["list", "--json", "--projection", "catalog"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let listing: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    listing["letters"]
        .as_array()
        .expect("letters")
        .iter()
        .find(|l| l["partition"] == partition && l["offset"] == offset)
        .cloned()
}

async fn slugs(pool: &PgPool) -> Vec<(Uuid, String)> {
    sqlx::query_as("SELECT product_id, slug FROM catalog_products ORDER BY slug")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refused_commit_is_listed_re_driven_once_fixed_and_never_applied_twice() {
    let ns = TestNamespace::create("projector-dlq-cli").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut products = Model::<Product>::default();
    let (winner, loser) = (Uuid::now_v7(), Uuid::now_v7());
    let mut commit_of = |log: &mut Log, id: Uuid, sku: &str| {
        let stream = product::stream_id(id);
        let events = products.decide(
            &stream,
            create(id, "Twin", "same-slug", vec![new_variant(sku, 100)]),
        );
        log.commit::<Product>(&stream, &events)
    };
    let first = commit_of(&mut log, winner, "TWIN-1");
    log.send(vec![first]).await;
    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;
    // Only after the winner applied, so which twin loses does not depend on read order.
    let second = commit_of(&mut log, loser, "TWIN-2");
    let origin = log.send(vec![second]).await[0];
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;
    assert_eq!(slugs(&pool).await, vec![(winner, "same-slug".to_string())]);
    let letter_arg = format!("{}:{}", origin.0, origin.1);

    let letter = eventually(
        Duration::from_secs(60),
        "the letter to be listed",
        || async { Ok(listed(&ns, origin).await) },
    )
    .await
    .unwrap();
    assert_eq!(letter["redriven"], false);
    assert_eq!(letter["copies"], 1);
    assert!(letter["error"].as_str().unwrap().contains("duplicate"));
    let text = dlq(&ns, &["list"]).await;
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.lines().any(|l| l.starts_with("catalog ")
            && l.contains(&letter_arg)
            && l.contains("re-driven=no")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("total: 1 dead letter (0 re-driven, 1 pending)")
    );

    // Re-driving needs the archived record.
    eventually(
        Duration::from_secs(60),
        "the record to be archived",
        || async {
            let archived: Option<i32> = sqlx::query_scalar(
                r#"SELECT 1 FROM event_archive WHERE partition = $1 AND "offset" = $2"#,
            )
            .bind(origin.0)
            .bind(origin.1)
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten();
            Ok(archived.map(|_| ()))
        },
    )
    .await
    .unwrap();

    // Usage errors exit 2 and change nothing.
    for args in [
        &["redrive", "--projection", "catalogue"][..],
        &["redrive", "--letter", "twelve"],
        &["redrive", "--projection", "catalog", "--letter", "0:999999"],
        &["list", "--letter", "1:2"],
    ] {
        let run = dlq(&ns, args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains("agora-projector dlq:"), "{run:?}");
    }

    // Still conflicting: the letter fails, stays pending, and nothing is applied.
    let refused = dlq(
        &ns,
        &[
            "redrive",
            "--projection",
            "catalog",
            "--letter",
            &letter_arg,
        ],
    )
    .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stdout.contains("FAILED catalog"), "{refused:?}");
    assert!(refused.stdout.contains("duplicate"), "{refused:?}");
    assert_eq!(slugs(&pool).await.len(), 1);

    // The operator moves the winner out of the way.
    sqlx::query("UPDATE catalog_products SET slug = 'same-slug-original' WHERE product_id = $1")
        .bind(winner)
        .execute(&pool)
        .await
        .unwrap();
    let redriven = dlq(
        &ns,
        &[
            "redrive",
            "--projection",
            "catalog",
            "--letter",
            &letter_arg,
        ],
    )
    .await;
    assert_eq!(redriven.code, 0, "{redriven:?}");
    assert!(
        redriven
            .stdout
            .contains(&format!("re-driven catalog {letter_arg}: applied")),
        "{redriven:?}"
    );
    assert_eq!(
        slugs(&pool).await,
        vec![
            (loser, "same-slug".to_string()),
            (winner, "same-slug-original".to_string()),
        ]
    );

    // Again, and without selecting: nothing left to do, nothing applied twice.
    let again = dlq(&ns, &["redrive"]).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.contains("nothing") || again.stdout.contains("re-driven 0, failed 0"),
        "{again:?}"
    );
    let ledger: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letter_redrives")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(ledger, 1);
    assert_eq!(slugs(&pool).await.len(), 2);

    let letter = listed(&ns, origin).await.expect("still listed");
    assert_eq!(letter["redriven"], true);
    assert!(
        letter["outcome"].as_str().unwrap().starts_with("applied"),
        "{letter}"
    );
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct Movement {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
    #[serde(with = "clickhouse::serde::uuid")]
    product_id: Uuid,
    movement: String,
    quantity: i64,
}

async fn movements(client: &clickhouse::Client) -> Vec<Movement> {
    client
        .query("SELECT ?fields FROM stock_movements FINAL")
        .fetch_all()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_fact_letter_is_re_driven_into_clickhouse_with_what_the_projection_knows() {
    let ns = TestNamespace::create("projector-dlq-cli-facts")
        .await
        .unwrap();
    let mut log = Log::open(&ns).await;
    let mut stock = Model::<InventoryItem>::default();
    let sku = Sku::parse("REDRIVE-1").unwrap();
    let stream = inventory::stream_id(&sku);
    let product_id = Uuid::now_v7();
    let register = stock.decide(
        &stream,
        InventoryCommand::RegisterSku {
            sku,
            product_id,
            low_stock_threshold: 0,
        },
    );
    let registered = log.commit::<InventoryItem>(&stream, &register);
    let receive = stock.decide(&stream, InventoryCommand::ReceiveStock { quantity: 7 });
    let received = log.commit::<InventoryItem>(&stream, &receive);
    let event_id = received.events[0].0;
    let origin = log.send(vec![registered, received]).await[1];

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;
    let client = ch(&ns);
    assert_eq!(movements(&client).await.len(), 1);

    // As if an older decoder had given up on the receipt: no movement, and a letter about it.
    client
        .query("TRUNCATE TABLE stock_movements")
        .execute()
        .await
        .unwrap();
    DeadLetters::new(&ns.kafka)
        .unwrap()
        .send(
            "stock_movements",
            origin.0,
            origin.1,
            Some(event_id),
            "event does not decode: (an older decoder)".into(),
            serde_json::json!({}),
        )
        .await
        .unwrap();
    eventually(
        Duration::from_secs(60),
        "the record to be archived",
        || async {
            let archived: Option<i32> = sqlx::query_scalar(
                r#"SELECT 1 FROM event_archive WHERE partition = $1 AND "offset" = $2"#,
            )
            .bind(origin.0)
            .bind(origin.1)
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten();
            Ok(archived.map(|_| ()))
        },
    )
    .await
    .unwrap();

    let redriven = dlq(&ns, &["redrive", "--projection", "stock_movements"]).await;
    assert_eq!(redriven.code, 0, "{redriven:?}");
    assert!(
        redriven
            .stdout
            .contains("re-driven 1, failed 0, already re-driven 0"),
        "{redriven:?}"
    );
    let stored = movements(&client).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].event_id, event_id);
    assert_eq!(stored[0].movement, "received");
    assert_eq!(stored[0].quantity, 7);
    assert_eq!(
        stored[0].product_id, product_id,
        "the SKU's product, from the registration the projection saw"
    );

    let again = dlq(&ns, &["redrive", "--projection", "stock_movements"]).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("nothing") || again.stdout.contains("re-driven 0"));
    assert_eq!(movements(&client).await.len(), 1);
    let run = dlq(&ns, &["list", "--projection", "stock_movements"]).await;
    assert!(
        run.stdout.contains("(inserted the facts of 1 event)"),
        "{run:?}"
    );
}
