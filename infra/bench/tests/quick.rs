//! `agora-bench --quick` against the stack: every raw limit and every scenario runs, each with
//! non-zero figures, the flash sale oversells nothing, the report files are written, and the
//! run's namespace is gone afterwards. This keeps the benchmark from rotting between full runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use runtime::testing::binary_path;
use serde_json::Value;

fn number(report: &Value, pointer: &str) -> f64 {
    report
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} missing from the report"))
}

#[tokio::test]
async fn a_quick_run_measures_every_raw_limit_and_scenario_and_cleans_up() {
    let out = std::env::temp_dir().join(format!("agora-bench-{}", uuid::Uuid::new_v4()));
    let bin = binary_path("agora-bench");
    let output = Command::new(&bin)
        .args(["--quick", "--bin-dir"])
        .arg(bin.parent().unwrap())
        .arg("--out")
        .arg(&out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("agora-bench runs (build it with `cargo build --workspace --bins`)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{stderr}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["mode"], "quick");
    assert!(
        report["failures"].as_object().unwrap().is_empty(),
        "{}",
        report["failures"]
    );

    for limit in [
        "broker_produce",
        "broker_consume_transform_produce",
        "postgres_copy",
        "postgres_insert",
        "clickhouse_insert",
        "http_hello",
        "password_hashes",
    ] {
        let rate = number(&report, &format!("/raw/{limit}/per_second"));
        assert!(rate > 0.0, "raw {limit}: {rate}");
    }
    let positive = [
        "/scenarios/commands/closed/per_second",
        "/scenarios/commands/open/per_second",
        "/scenarios/commands/open/latency/p99_ms",
        "/scenarios/checkout/closed/orders_confirmed",
        "/scenarios/checkout/open/to_confirmed/p99_ms",
        "/scenarios/checkout/open/to_paid/p99_ms",
        "/scenarios/flash-sale/settle_seconds",
        "/scenarios/projection/throughput/postgres_events_per_second",
        "/scenarios/projection/throughput/clickhouse_events_per_second",
        "/scenarios/projection/freshness/probes",
        "/scenarios/projection/freshness/latency/p99_ms",
        "/scenarios/replay/events_per_second",
        "/scenarios/graphql/product_page/closed/per_second",
        "/scenarios/graphql/product_page_signed_in/closed/per_second",
        "/scenarios/graphql/product_detail/open/latency/p99_ms",
        "/scenarios/graphql/order_history/closed/per_second",
    ];
    for pointer in positive {
        let value = number(&report, pointer);
        assert!(value > 0.0, "{pointer}: {value}");
    }
    let flash = &report["scenarios"]["flash-sale"];
    assert_eq!(flash["oversold"], 0, "{flash}");
    assert_eq!(
        flash["confirmed"], flash["units"],
        "every unit sold once: {flash}"
    );
    for service in ["command-api", "processor", "projector", "saga", "query-api"] {
        let mib = number(&report, &format!("/memory/{service}"));
        assert!(mib > 1.0, "{service} peak RSS {mib} MiB");
    }
    assert_eq!(report["goals"].as_array().unwrap().len(), 13);
    for goal in report["goals"].as_array().unwrap() {
        assert!(goal["met"].is_boolean(), "goal not judged: {goal}");
    }
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("| scenario | figure | measured | goal | result |"));

    // The namespace's database is dropped (its topics too; the broker keeps them in memory).
    let namespace = report["namespace"].as_str().unwrap();
    let admin_url = std::env::var("AGORA_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into());
    let pool = sqlx::PgPool::connect(&admin_url).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(namespace)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "database {namespace} left behind");
    let _ = std::fs::remove_dir_all(&out);
}
