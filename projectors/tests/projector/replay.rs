//! The replay CLI: `rebuild` builds a projection beside the live one and switches readers
//! while GraphQL keeps answering and the log keeps growing; `verify` and `list` report on it.

use std::{
    process::{Command, Output},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use projectors::{
    config::Config,
    replay::{commands, facts, session::Session, switch::Mode, units::unit_of},
};
use runtime::{
    shutdown::Shutdown,
    testing::{TestNamespace, binary_path, eventually},
};
use serde_json::{Value, json};

use crate::{
    crash::Shop,
    support::{Log, ch, free_port, pg, send_with, spawn_projector, wait_caught_up},
};

/// Runs `agora-projector <args>` in the namespace and waits for it.
fn projector_cli(ns: &TestNamespace, args: &[&str]) -> Output {
    Command::new(binary_path("agora-projector"))
        .args(args)
        .envs(ns.env())
        .env("RUST_LOG", "warn")
        .output()
        .expect("agora-projector runs")
}

/// What a storefront asks while the rebuild runs: a SKU that exists from the start, and the
/// first page of the catalog.
const QUERY: &str = r#"{ inventory(sku: "C0-A") { sku onHand }
    products(first: 20) { totalCount edges { node { slug variants { sku } } } } }"#;

/// Counts GraphQL answers until told to stop; every failure is kept with its reason.
async fn keep_querying(
    url: String,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let response = client
            .post(&url)
            .json(&json!({ "query": QUERY }))
            .send()
            .await;
        let outcome = match response {
            Ok(response) if response.status().is_success() => {
                match response.json::<Value>().await {
                    Ok(body) if body.get("errors").is_some() => Err(format!("errors: {body}")),
                    Ok(body) if body["data"]["inventory"].is_null() => {
                        Err(format!("the SKU vanished: {body}"))
                    }
                    Ok(_) => Ok(()),
                    Err(error) => Err(format!("bad body: {error}")),
                }
            }
            Ok(response) => Err(format!("status {}", response.status())),
            Err(error) => Err(format!("request: {error}")),
        };
        match outcome {
            Ok(()) => {
                answered.fetch_add(1, Ordering::Relaxed);
            }
            Err(failure) => failures.push(failure),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_switches_readers_atomically_while_graphql_answers_and_the_log_grows() {
    let ns = TestNamespace::create("projector-replay").await.unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, mut first) = Shop::open(&mut log, 30);
    first.extend(shop.commits(&mut log, 1_500));
    log.send(first).await;
    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(180)).await;

    let query_addr = format!("127.0.0.1:{}", free_port());
    let _query_api = ns
        .spawn("agora-query-api", &[], &[("AGORA_QUERY_ADDR", &query_addr)])
        .unwrap();
    let url = format!("http://{query_addr}/graphql");
    let client = reqwest::Client::new();
    eventually(Duration::from_secs(60), "the query API to answer", || {
        let request = client.post(&url).json(&json!({ "query": QUERY })).send();
        async move {
            Ok(request
                .await
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ()))
        }
    })
    .await
    .unwrap();

    // Readers and writers keep going for the whole rebuild.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let reader = tokio::spawn(keep_querying(url.clone(), stop.clone(), answered.clone()));
    let more = shop.commits(&mut log, 1_500);
    let producer = log.producer.clone();
    let topic = log.topic.clone();
    let writer = tokio::spawn(async move {
        let mut delivered = Vec::new();
        for chunk in more.chunks(50) {
            delivered.extend(send_with(&producer, &topic, chunk.to_vec()).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        delivered
    });

    let config = Config::new(
        ns.kafka.clone(),
        &ns.database_url,
        &ns.clickhouse_url,
        &ns.clickhouse_database,
    );
    let session = Session::open(config).await.unwrap();
    let catalog = unit_of("catalog").unwrap();
    let before = answered.load(Ordering::Relaxed);
    let report = commands::build_and_finish(
        &session,
        catalog,
        Mode::Switch {
            accept_differences: false,
        },
        &Shutdown::new(),
    )
    .await
    .unwrap();
    let during = answered.load(Ordering::Relaxed) - before;

    let delivered = writer.await.unwrap();
    log.delivered(&delivered);
    stop.store(true, Ordering::Relaxed);
    let failures = reader.await.unwrap();
    assert!(
        failures.is_empty(),
        "GraphQL failed during the rebuild: {failures:?}"
    );
    assert!(during > 0, "no GraphQL answer during the rebuild");
    assert_eq!(report.finish.switched_to, Some(2), "{report:#?}");
    assert!(report.finish.matches(), "same code, same rows: {report:#?}");
    assert!(report.records > 0);

    // The live projector carries on in the switched-in tables, and they still equal a rebuild.
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(180)).await;
    let verify = projector_cli(&ns, &["verify", "catalog"]);
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "verify: {stdout}\n{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(stdout.contains("catalog_products"), "{stdout}");
    assert!(stdout.contains("equals a rebuild"), "{stdout}");

    // Neither the build's schema nor the retired version is left behind.
    let leftovers: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace
         WHERE nspname LIKE 'agora\\_build\\_%' OR nspname LIKE 'agora\\_retired\\_%'
            OR nspname LIKE 'agora\\_verify\\_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The ClickHouse stock movements are rebuilt beside the live tables and renamed in while
    // the log keeps growing; afterwards every movement is there exactly once.
    let more = shop.commits(&mut log, 1_000);
    let producer = log.producer.clone();
    let topic = log.topic.clone();
    let writer = tokio::spawn(async move {
        let mut delivered = Vec::new();
        for chunk in more.chunks(50) {
            delivered.extend(send_with(&producer, &topic, chunk.to_vec()).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        delivered
    });
    let movements = facts::facts_unit("stock_movements").unwrap();
    let report = facts::build_and_finish(
        &session,
        movements,
        Mode::Switch {
            accept_differences: false,
        },
        &Shutdown::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.finish.switched_to, Some(2), "{report:#?}");
    assert!(
        report.finish.matches(),
        "same code, same facts: {report:#?}"
    );
    let delivered = writer.await.unwrap();
    log.delivered(&delivered);
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(180)).await;
    let (rows, distinct): (u64, u64) = ch(&ns)
        .query("SELECT count(), uniqExact(event_id) FROM stock_movements FINAL")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(rows, shop.movements.len() as u64);
    assert_eq!(distinct, rows);
    let verify = projector_cli(&ns, &["verify", "stock_movements"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    let listed = projector_cli(&ns, &["list", "--json"]);
    assert!(listed.status.success());
    let entries: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let entry = entries
        .iter()
        .find(|e| e["projection"] == "catalog")
        .expect("catalog listed");
    assert_eq!(entry["generation"], 2, "{entry}");
    assert_eq!(entry["lag_records"], 0, "{entry}");
    let movements = entries
        .iter()
        .find(|e| e["projection"] == "stock_movements")
        .expect("stock movements listed");
    assert_eq!(movements["store"], "clickhouse", "{movements}");
    assert_eq!(movements["generation"], 2, "{movements}");
}

#[tokio::test]
async fn unknown_projections_and_missing_names_are_usage_errors() {
    let ns = TestNamespace::create("projector-replay-usage")
        .await
        .unwrap();
    let unknown = projector_cli(&ns, &["rebuild", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("unknown projection \"nope\""), "{stderr}");
    assert!(stderr.contains("catalog"), "{stderr}");
    let missing = projector_cli(&ns, &["verify"]);
    assert_eq!(missing.status.code(), Some(2));
}
