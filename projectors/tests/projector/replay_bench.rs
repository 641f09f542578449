//! `agora-replay-bench` at a small size: it generates a domain-valid log, rebuilds every
//! projection from it without a dead letter, reports, and leaves nothing behind.

use std::process::Command;

use runtime::testing::binary_path;
use uuid::Uuid;

#[tokio::test]
async fn a_small_benchmark_run_reports_a_clean_replay_and_cleans_up() {
    let out = std::env::temp_dir().join(format!("agora-replay-bench-{}", Uuid::new_v4()));
    let mut command = Command::new(binary_path("agora-replay-bench"));
    command
        .args(["--events", "20000", "--seed", "7", "--out"])
        .arg(&out);
    if std::env::var("TEST_LOG").is_err() {
        command.env("RUST_LOG", "warn");
    }
    let output = command
        .output()
        .expect("agora-replay-bench runs (build it with `cargo build -p projectors --bins`)");
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("replay.json")).unwrap()).unwrap();
    assert_eq!(report["status"], 0);
    assert!(report["replay"]["events"].as_u64().unwrap() >= 20_000);
    assert_eq!(report["replay"]["dead_letters"], 0);
    assert!(report["replay"]["events_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(report["replay"]["projections"].as_array().unwrap().len(), 9);
    for check in report["checks"].as_array().unwrap() {
        assert_eq!(check["expected"], check["actual"], "{check}");
    }
    assert!(out.join("replay.md").exists());

    // Scratch schema dropped and topics deleted: the broker keeps logs in memory.
    let namespace = report["namespace"].as_str().unwrap().to_string();
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| projectors::config::DEFAULT_DATABASE_URL.to_string());
    let pool = sqlx::PgPool::connect(&admin_url).await.unwrap();
    let schemas: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1",
    )
    .bind(&namespace)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(schemas, 0, "scratch schema {namespace} left behind");
    let kafka = runtime::config::KafkaConfig::from_env().unwrap();
    let events = format!("{namespace}.agora.events");
    let exists = tokio::task::spawn_blocking(move || {
        runtime::kafka::partition_count(&kafka, &events).is_ok()
    })
    .await
    .unwrap();
    assert!(!exists, "benchmark topics left behind");
    let _ = std::fs::remove_dir_all(&out);
}
