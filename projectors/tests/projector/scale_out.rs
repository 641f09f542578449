//! Scale-out the Kafka way: two command processors and two projectors share the partitions
//! through their consumer groups. Under a steady load of stock adjustments through the command
//! API, one processor and one projector are killed with SIGKILL; the survivors take their
//! partitions over and later commands succeed. Afterwards every acknowledged command is in the
//! log exactly once, every stream is gap-free, and the read models (Postgres and ClickHouse)
//! equal what folding the log gives.
//!
//! Needs the write side's binaries too: `cargo build --workspace --bins`.

use std::{
    collections::{BTreeMap, HashSet},
    time::{Duration, Instant},
};

use futures::future::join_all;
use projectors::{config::Config, rebuild};
use runtime::{
    log::LogItem,
    testing::{ChildProcess, TestNamespace, binary_path, eventually},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{ch, ends_of, free_port, pg, positions, scan_log};

mod audit;

use self::audit::{audit_log, commits, fold_stock};

/// Products created, each with two SKUs.
const PRODUCTS: usize = 6;
/// Units received per SKU before the load.
const RECEIVED: i64 = 100_000;
/// Concurrent clients of the load.
const CLIENTS: usize = 12;
/// How long the load runs, and when in it the processor and the projector die.
const LOAD: Duration = Duration::from_secs(14);
const KILL_AFTER: Duration = Duration::from_secs(4);
/// The gauges that say how many partitions a replica owns.
const PROCESSOR_GAUGE: &str = "agora_processor_partitions_owned";
const PROJECTOR_GAUGE: &str = "agora_projector_partitions_owned";

/// A service process and its `/metrics` page.
struct Service {
    process: ChildProcess,
    metrics: String,
}

/// Processors, projectors and one command API in one namespace.
struct Cluster {
    ns: TestNamespace,
    http: reqwest::Client,
    token: String,
    api: String,
    _api: ChildProcess,
    processors: Vec<Service>,
    projectors: Vec<Service>,
}

/// One answer of the command API.
struct Answer {
    sku: String,
    status: u16,
    body: Value,
    sent_at: Instant,
}

impl Cluster {
    async fn start(ns: TestNamespace, replicas: usize) -> Self {
        let service = |binary: &str, args: &[&str]| {
            let addr = format!("127.0.0.1:{}", free_port());
            let process = ns
                .spawn(binary, args, &[("AGORA_HEALTH_ADDR", addr.as_str())])
                .unwrap_or_else(|e| {
                    panic!("{binary} starts (cargo build --workspace --bins): {e}")
                });
            Service {
                process,
                metrics: format!("http://{addr}/metrics"),
            }
        };
        let processors = (0..replicas)
            .map(|_| service("agora-processor", &[]))
            .collect();
        let projectors = (0..replicas)
            .map(|_| service("agora-projector", &["run"]))
            .collect();
        let addr = format!("127.0.0.1:{}", free_port());
        let api = ns
            .spawn(
                "agora-command-api",
                &["serve"],
                &[
                    ("AGORA_COMMAND_ADDR", &addr),
                    ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
                ],
            )
            .expect("agora-command-api starts");
        let output = std::process::Command::new(binary_path("agora-command-api"))
            .args(["mint-token", "--role", "admin", "--subject", "tests"])
            .envs(ns.env())
            .output()
            .expect("mint-token runs");
        assert!(output.status.success(), "mint-token: {output:?}");
        let cluster = Self {
            token: String::from_utf8(output.stdout).unwrap().trim().to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            api: format!("http://{addr}"),
            _api: api,
            ns,
            processors,
            projectors,
        };
        let health = format!("{}/healthz", cluster.api);
        eventually(Duration::from_secs(30), "the command API to answer", || {
            let request = cluster.http.get(&health).send();
            async move { Ok(request.await.ok().filter(|r| r.status().is_success())) }
        })
        .await
        .unwrap();
        cluster
    }

    /// POSTs `body` with the admin token and an idempotency key.
    async fn post(&self, path: String, body: Value, key: String) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(&self.token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// How many partitions each of `services` owns now (`None`: page or gauge not there yet).
    async fn shares(&self, services: &[Service], gauge: &str) -> Vec<Option<f64>> {
        join_all(services.iter().map(|service| async move {
            let page = self.http.get(&service.metrics).send().await.ok()?;
            let page = page.text().await.ok()?;
            page.lines().find_map(|line| {
                line.strip_prefix(gauge)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
        }))
        .await
    }

    /// Waits until the replicas' shares of `gauge` satisfy `spread`.
    async fn wait_for_shares(
        &self,
        which: &str,
        services: &[Service],
        gauge: &str,
        spread: impl Fn(&[f64]) -> bool,
    ) -> Vec<f64> {
        let spread = &spread;
        eventually(Duration::from_secs(60), which, move || async move {
            let shares: Option<Vec<f64>> = self.shares(services, gauge).await.into_iter().collect();
            Ok(shares.filter(|s| spread(s)))
        })
        .await
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_processor_and_a_projector_under_load_moves_their_partitions_and_loses_nothing() {
    let started = Instant::now();
    let ns = TestNamespace::create("scale-out").await.unwrap();
    let partitions = f64::from(ns.kafka.partitions);
    let mut cluster = Cluster::start(ns, 2).await;
    let all_shared = |shares: &[f64]| {
        shares.iter().all(|s| *s >= 1.0) && shares.iter().sum::<f64>() == partitions
    };
    let processors = cluster
        .wait_for_shares(
            "both processors to own partitions",
            &cluster.processors,
            PROCESSOR_GAUGE,
            all_shared,
        )
        .await;
    let projectors = cluster
        .wait_for_shares(
            "both projectors to own partitions",
            &cluster.projectors,
            PROJECTOR_GAUGE,
            all_shared,
        )
        .await;
    eprintln!("shares before the kill: processors {processors:?}, projectors {projectors:?}");

    let skus: Vec<String> = (0..PRODUCTS * 2).map(|i| format!("SCALE-{i}")).collect();
    let created = join_all((0..PRODUCTS).map(|p| {
        let variants: Vec<Value> = skus[p * 2..p * 2 + 2]
            .iter()
            .map(|sku| json!({ "sku": sku, "name": sku, "price": { "amount_minor": 1500, "currency": "EUR" } }))
            .collect();
        let body = json!({ "name": format!("Scale {p}"), "slug": format!("scale-{p}"),
                           "category": "tests", "brand": "Agora", "variants": variants });
        cluster.post("/products".into(), body, format!("create-{p}"))
    }))
    .await;
    let received = join_all(skus.iter().map(|sku| {
        cluster.post(
            format!("/inventory/{sku}/receive"),
            json!({ "quantity": RECEIVED }),
            format!("receive-{sku}"),
        )
    }))
    .await;
    for (status, body) in created.iter().chain(&received) {
        assert_eq!(*status, 200, "stocking the shop: {body}");
    }

    // The load, with one processor and one projector killed a few seconds into it.
    let cluster_ref = &cluster;
    let skus_ref = &skus;
    let load_started = Instant::now();
    let load = join_all((0..CLIENTS).map(|client| async move {
        let mut answers = Vec::new();
        let mut round = 0;
        while load_started.elapsed() < LOAD {
            let sku = &skus_ref[(client + round * CLIENTS) % skus_ref.len()];
            let sent_at = Instant::now();
            let (status, body) = cluster_ref
                .post(
                    format!("/inventory/{sku}/adjust"),
                    json!({ "delta": -1, "reason": "sold" }),
                    format!("load-{client}-{round}"),
                )
                .await;
            answers.push(Answer {
                sku: sku.clone(),
                status,
                body,
                sent_at,
            });
            round += 1;
        }
        answers
    }));
    let chaos = async {
        tokio::time::sleep(KILL_AFTER).await;
        cluster_ref.processors[0].process.signal("KILL").unwrap();
        cluster_ref.projectors[0].process.signal("KILL").unwrap();
        Instant::now()
    };
    let (answers, killed_at) = tokio::join!(load, chaos);
    let answers: Vec<Answer> = answers.into_iter().flatten().collect();
    let dead_processor = cluster.processors.remove(0);
    let dead_projector = cluster.projectors.remove(0);
    drop((dead_processor, dead_projector)); // reaped

    // Partitions moved: each survivor owns every partition.
    let everything = |shares: &[f64]| shares == [partitions].as_slice();
    cluster
        .wait_for_shares(
            "the surviving processor to own every partition",
            &cluster.processors,
            PROCESSOR_GAUGE,
            everything,
        )
        .await;
    cluster
        .wait_for_shares(
            "the surviving projector to own every partition",
            &cluster.projectors,
            PROJECTOR_GAUGE,
            everything,
        )
        .await;
    // Work continues: commands on every SKU (so every partition) succeed.
    let later = join_all(skus.iter().map(|sku| {
        cluster.post(
            format!("/inventory/{sku}/adjust"),
            json!({ "delta": 5, "reason": "recount" }),
            format!("later-{sku}"),
        )
    }))
    .await;
    for (status, body) in &later {
        assert_eq!(*status, 200, "a command after the takeover: {body}");
    }

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for answer in &answers {
        assert!(
            matches!(answer.status, 200 | 202 | 503),
            "{}: {} {}",
            answer.sku,
            answer.status,
            answer.body
        );
        *by_status.entry(answer.status).or_default() += 1;
    }
    let acknowledged_after_kill = answers
        .iter()
        .filter(|a| a.status == 200 && a.sent_at > killed_at)
        .count();
    eprintln!("load: answers {by_status:?}, {acknowledged_after_kill} acknowledged after the kill");
    assert!(
        acknowledged_after_kill > 0,
        "the survivors kept acknowledging during the load"
    );

    let log = scan_log(&cluster.ns, Duration::from_millis(1500)).await;
    audit_log(&log, &answers, &later);
    let ends = ends_of(&log, cluster.ns.kafka.partitions);
    check_read_models(&cluster.ns, &log, &ends).await;
    eprintln!("scale-out test took {:?}", started.elapsed());
}

/// Waits until every projection reached `ends`, then compares the read models with the log.
async fn check_read_models(ns: &TestNamespace, log: &[LogItem], ends: &[i64]) {
    let pool = &pg(ns).await;
    eventually(
        Duration::from_secs(60),
        "every projection to reach the end of the log",
        move || async move {
            let Some(positions) = positions(ns, pool).await else {
                return Ok(None);
            };
            Ok(positions.values().all(|p| p == ends).then_some(()))
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}: log ends at {ends:?}"));

    let (on_hand, movements) = fold_stock(log);
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT sku, on_hand FROM inventory_items ORDER BY sku")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        rows.into_iter().collect::<BTreeMap<_, _>>(),
        on_hand,
        "inventory read model = the log's totals"
    );
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM catalog_products")
        .fetch_one(pool)
        .await
        .unwrap();
    let created = commits(log)
        .filter(|c| c.stream.starts_with("product-") && c.from_version == 1)
        .count();
    assert_eq!(
        products as usize, created,
        "one catalog row per product created"
    );
    let archived: i64 = sqlx::query_scalar("SELECT count(*) FROM event_archive")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(archived as usize, log.len(), "every record archived once");

    let facts: Vec<(String, i64)> = ch(ns)
        .query("SELECT sku, toInt64(sum(on_hand_delta)) FROM stock_movements FINAL GROUP BY sku ORDER BY sku")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        facts.into_iter().collect::<BTreeMap<_, _>>(),
        on_hand,
        "ClickHouse movements = the log's totals"
    );
    let fact_ids: Vec<String> = ch(ns)
        .query("SELECT toString(event_id) FROM stock_movements FINAL")
        .fetch_all()
        .await
        .unwrap();
    let fact_ids: HashSet<Uuid> = fact_ids.iter().map(|id| id.parse().unwrap()).collect();
    assert_eq!(fact_ids, movements, "each movement once");
    let (rows, events): (u64, u64) = ch(ns)
        .query("SELECT count(), uniqExact(event_id) FROM events FINAL")
        .fetch_one()
        .await
        .unwrap();
    let counted: usize = commits(log).map(|c| c.events.len()).sum();
    assert_eq!(
        (rows as usize, events as usize),
        (counted, counted),
        "raw events exactly once"
    );

    let config = Config::new(
        ns.kafka.clone(),
        &ns.database_url,
        &ns.clickhouse_url,
        &ns.clickhouse_database,
    );
    let report = rebuild::rebuild_check(&config, false).await.unwrap();
    assert!(
        report.matches(),
        "a rebuild from offset 0 differs from the live read models: {report:#?}"
    );
}
