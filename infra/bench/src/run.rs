//! One benchmark run: namespace, raw limits, services, catalog, scenarios, report, clean-up.
//!
//! The raw limits run first, before any service process exists, so each has the machine to
//! itself. Then the five services start once for all scenarios (their peak RSS therefore
//! covers the whole run); a scenario that fails is recorded in the report and the others still
//! run. The namespace is dropped whatever happened.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::Context;
use serde_json::{Value, json};

use crate::{
    client::{Api, http_client},
    namespace::BenchNamespace,
    options::Options,
    raw,
    report::Report,
    scenarios::{self, Bench},
    services::{Launcher, Platform},
    shop,
};

/// Runs everything `options` asks for; `Ok(true)` when every scenario ran.
pub async fn run(options: Options) -> anyhow::Result<bool> {
    let started = Instant::now();
    let namespace = BenchNamespace::create().await?;
    eprintln!("agora-bench: namespace {}", namespace.name());
    let mut report = Report {
        mode: if options.quick { "quick" } else { "full" },
        profile: options
            .bin_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        started_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        seconds: 0.0,
        machine: machine(),
        namespace: namespace.name().to_string(),
        raw: None,
        scenarios: BTreeMap::new(),
        failures: BTreeMap::new(),
        memory: BTreeMap::new(),
        goals: Vec::new(),
    };
    let outcome = measure(&options, namespace, &mut report).await;
    if let Err(error) = &outcome {
        report.failures.insert("setup".into(), format!("{error:#}"));
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.judge();
    report
        .write(&options.out)
        .with_context(|| format!("writing the report into {}", options.out.display()))?;
    println!("{}", report.markdown());
    println!(
        "report: {} and {}",
        options.out.join("report.json").display(),
        options.out.join("report.md").display()
    );
    Ok(report.failures.is_empty())
}

async fn measure(
    options: &Options,
    namespace: BenchNamespace,
    report: &mut Report,
) -> anyhow::Result<()> {
    let http = http_client()?;
    if !options.skip_raw {
        match raw::measure(&namespace, &options.sizes, &http).await {
            Ok(limits) => report.raw = Some(json!(limits)),
            Err(error) => {
                report.failures.insert("raw".into(), format!("{error:#}"));
            }
        }
    }
    let launcher = Launcher::new(&options.bin_dir, &options.out, &namespace)?;
    eprintln!("starting the services from {}", options.bin_dir.display());
    let platform = match Platform::start(&launcher, &http).await {
        Ok(platform) => platform,
        Err(error) => {
            namespace.drop_all().await;
            return Err(error);
        }
    };
    let api = Api::new(
        http.clone(),
        platform.base("command-api")?,
        platform.base("query-api")?,
    )?;
    let db = sqlx::PgPool::connect(&namespace.database_url).await?;
    let mut bench = Bench {
        options: options.clone(),
        namespace,
        launcher,
        platform,
        http,
        api,
        db,
        catalog: shop::Catalog::default(),
    };
    let result = scenarios_in(&mut bench, report).await;
    bench.platform.shutdown();
    report.memory.extend(bench.platform.peaks.clone());
    bench.db.close().await;
    bench.namespace.drop_all().await;
    result
}

/// Longest wait for the platform to finish one scenario's work before the next starts.
const SETTLE_BOUND: Duration = Duration::from_secs(300);

async fn scenarios_in(bench: &mut Bench, report: &mut Report) -> anyhow::Result<()> {
    shop::wait_for_write_path(&bench.api).await?;
    let sizes = bench.options.sizes.clone();
    eprintln!(
        "opening the shop: {} products × {} variants",
        sizes.products, sizes.variants
    );
    bench.catalog = shop::open(
        &bench.api,
        &bench.db,
        "BENCH",
        sizes.products,
        sizes.variants,
        1_000_000,
    )
    .await?;
    for name in bench.options.scenarios.clone() {
        // Each scenario alone: whatever the previous one queued is finished first.
        let settled = match crate::settle::quiet(bench, SETTLE_BOUND).await {
            Ok(waited) => json!(waited.as_secs_f64()),
            Err(error) => {
                eprintln!("before {name}: the platform did not settle: {error:#}");
                json!(null)
            }
        };
        eprintln!("scenario {name}");
        let started = Instant::now();
        let result: anyhow::Result<Value> = match name.as_str() {
            "commands" => scenarios::commands::run(bench).await,
            "checkout" => scenarios::checkout::run(bench).await,
            "flash-sale" => scenarios::flash_sale::run(bench).await,
            "projection" => scenarios::projection::run(bench).await,
            "graphql" => scenarios::graphql::run(bench).await,
            "replay" => match scenarios::replay::run(bench).await {
                Ok((figures, peak)) => {
                    if let Some(peak) = peak {
                        report.memory.insert("agora-replay-bench".into(), peak);
                    }
                    Ok(figures)
                }
                Err(error) => Err(error),
            },
            other => Err(anyhow::anyhow!("unknown scenario {other}")),
        };
        bench.platform.sample_memory();
        match result {
            Ok(mut figures) => {
                if let Some(object) = figures.as_object_mut() {
                    object.insert(
                        "scenario_seconds".into(),
                        json!(started.elapsed().as_secs_f64()),
                    );
                    object.insert("settled_before_seconds".into(), settled);
                }
                report.scenarios.insert(name, figures);
            }
            Err(error) => {
                eprintln!("scenario {name} failed: {error:#}");
                report.failures.insert(name, format!("{error:#}"));
            }
        }
    }
    Ok(())
}

/// What the report says about the machine.
fn machine() -> BTreeMap<&'static str, Value> {
    let mut machine = BTreeMap::new();
    machine.insert(
        "cores",
        json!(std::thread::available_parallelism().map_or(0, |n| n.get())),
    );
    if let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo")
        && let Some(kib) = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<f64>().ok())
    {
        machine.insert(
            "memory_gib",
            json!((kib / 1024.0 / 1024.0 * 10.0).round() / 10.0),
        );
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        machine.insert(
            "load_average_at_start",
            json!(
                load.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
    }
    if let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo")
        && let Some(model) = cpuinfo.lines().find(|l| l.starts_with("model name"))
    {
        machine.insert("cpu", json!(model.split(':').nth(1).unwrap_or("").trim()));
    }
    machine
}
