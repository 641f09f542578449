//! `replay`: delegated to the existing replay benchmark (`agora-replay-bench`, see
//! `projectors::bench` and docs/BENCHMARKS.md), run as a child process with `--events N` into
//! `<out>/replay/`. Its `replay.json` is folded into this report; its peak RSS is sampled from
//! `/proc` while it runs.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::Context;
use serde_json::{Value, json};

use super::Bench;
use crate::services::peak_rss_mib;

/// Runs the replay benchmark and returns its figures and its peak RSS in MiB.
pub async fn run(bench: &Bench) -> anyhow::Result<(Value, Option<f64>)> {
    let events = bench.options.sizes.replay_events;
    let out = bench.options.out.join("replay");
    let binary = bench.launcher.binary("agora-replay-bench");
    let log_path = bench.options.out.join("logs").join("replay-bench.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    eprintln!("replay: {} --events {events}", binary.display());
    let mut child = Command::new(&binary)
        .args([
            "--events",
            &events.to_string(),
            "--timeout-secs",
            "1800",
            "--out",
        ])
        .arg(&out)
        // The replay makes its own topic prefix, scratch schema and ClickHouse database; it
        // gets the run's database so nothing it leaves could touch the demo's.
        .envs(
            bench
                .launcher
                .env()
                .iter()
                .filter(|(k, _)| k != "AGORA_TOPIC_PREFIX")
                .map(|(k, v)| (k, v)),
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let pid = child.id();
    let mut peak: Option<f64> = None;
    let status = loop {
        if let Some(mib) = peak_rss_mib(pid) {
            peak = Some(peak.map_or(mib, |p| p.max(mib)));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    anyhow::ensure!(
        status.success(),
        "agora-replay-bench failed ({status}); log: {}",
        log_path.display()
    );
    let report = read_report(&out)?;
    let replay = &report["replay"];
    Ok((
        json!({
            "events": replay["events"],
            "records": replay["records"],
            "wall_seconds": replay["wall_seconds"],
            "events_per_second": replay["events_per_second"],
            "dead_letters": replay["dead_letters"],
            "projected_seconds_for_1m": report["goal"]["projected_seconds"],
            "slowest_projection": replay["projections"][0]["name"],
            "report": out.join("replay.json"),
        }),
        peak,
    ))
}

fn read_report(out: &Path) -> anyhow::Result<Value> {
    let path = out.join("replay.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}
