//! `agora-replay-bench`: how fast every projection rebuilds from a large log.
//!
//! A run (1) writes a realistic, domain-valid log of at least `--events` events into topics
//! of its own (a fresh prefix), deciding every command with the domain's pure `decide` on
//! in-memory state, exactly as the command processors and the checkout saga would; (2) times
//! a rebuild of every projection (seven Postgres read models, two ClickHouse fact
//! projections) from offset 0 to the end of that log into a scratch schema and database, all
//! in parallel; (3) checks that nothing was dead-lettered and that row counts follow from
//! what was generated; (4) writes `replay.json` and `replay.md`; and cleans up its topics and
//! (unless `--keep`) its scratch stores.
//!
//! # Layout
//! - [`rng`]: the seeded generator every choice comes from.
//! - [`record`]: in-memory streams deciding commands, and the commits they become.
//! - [`shop`]: opening the shop: catalog, stock, customers, coupons.
//! - [`journey`]: one shopper's visit: cart, order and the saga's steps.
//! - [`writer`]: producing markers and commits.
//! - [`generate`]: generation on a blocking thread feeding the producer.
//! - [`namespace`]: the run's own topics.
//! - [`replay`]: scratch stores and the timed parallel rebuild.
//! - [`checks`]: row counts against the generated log.
//! - [`system`]: CPU and memory readings from `/proc`.
//! - [`report`]: JSON and Markdown.

pub mod checks;
pub mod generate;
pub mod journey;
pub mod namespace;
pub mod record;
pub mod replay;
pub mod report;
pub mod rng;
pub mod shop;
pub mod system;
pub mod writer;

use std::{collections::BTreeMap, collections::HashMap, path::PathBuf, time::Duration};

use rdkafka::consumer::BaseConsumer;
use runtime::{config::KafkaConfig, kafka, topics::TopicsError};

use crate::{config::Config, error::ProjectorError, startup};
use generate::{GenerateOptions, Generated, GenerationError};
use namespace::Namespace;
use replay::{Replayed, Scratch};
use report::{Generation, Goal, Replay, Report};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Events to generate (at least; the last visit is finished).
    pub events: u64,
    /// Seed of the generator.
    pub seed: u64,
    /// Keep the scratch schema and database.
    pub keep: bool,
    /// Where `replay.json` and `replay.md` go.
    pub out: PathBuf,
    /// Producer compression (`none`, `lz4`, …).
    pub compression: String,
    /// Give up on a replay that takes longer.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            events: 1_000_000,
            seed: 42,
            keep: false,
            out: PathBuf::from("target/bench"),
            compression: "none".to_string(),
            timeout: Duration::from_secs(1_800),
        }
    }
}

/// Why a run failed (as opposed to finishing with a bad status).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Settings or stores.
    #[error(transparent)]
    Projector(#[from] ProjectorError),
    /// Topics could not be created or deleted.
    #[error(transparent)]
    Topics(#[from] TopicsError),
    /// Generation failed.
    #[error(transparent)]
    Generation(#[from] GenerationError),
    /// The report could not be written.
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the benchmark: generate, replay, check, report, clean up.
pub async fn run(config: &Config, options: &Options) -> Result<Report, BenchError> {
    let namespace = Namespace::create(config.kafka.clone()).await?;
    tracing::info!(prefix = %namespace.kafka.topic_prefix, "benchmark topics created");
    let result = measure(config, options, &namespace).await;
    // The broker keeps its log in memory: never leave a million events behind.
    let started = std::time::Instant::now();
    let deleted = namespace.delete().await;
    println!(
        "deleted the benchmark topics in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let report = result?;
    deleted?;
    report.write(&options.out)?;
    Ok(report)
}

async fn measure(
    config: &Config,
    options: &Options,
    namespace: &Namespace,
) -> Result<Report, BenchError> {
    let config = Config {
        kafka: namespace.kafka.clone(),
        ..config.clone()
    };
    let topic = namespace.kafka.topics().events;
    let partitions = startup::partition_count(&config, &topic).await?;
    println!(
        "generating at least {} events into {topic} ({partitions} partitions)…",
        options.events
    );
    let generated = generate::generate(
        &namespace.kafka,
        &topic,
        partitions,
        &GenerateOptions {
            events: options.events,
            seed: options.seed,
            compression: options.compression.clone(),
        },
    )
    .await?;
    println!(
        "generated {} events ({} records) in {:.2} s; replaying every projection…",
        generated.tally.events,
        generated.tally.records,
        generated.elapsed.as_secs_f64()
    );
    // The acknowledged offsets, not the broker's high watermarks: tansu reports the end of a
    // partition as one past the *first* record of its last batch, which falls short whenever
    // that batch holds several records (measured; see docs/BENCHMARKS.md).
    let targets = generated.ends.clone();
    let watermarks = end_offsets(&namespace.kafka, &topic, partitions).await?;
    if watermarks != targets {
        tracing::warn!(?watermarks, acknowledged = ?targets, "the broker's high watermarks disagree with the acknowledged offsets");
    }
    let scratch = Scratch::create(&config, &namespace.name, namespace.log_epoch).await?;
    let replayed = replay_measured(&config, namespace, &scratch, targets.clone(), options).await;
    let started = std::time::Instant::now();
    let checks = match &replayed {
        Ok(_) => checks::row_checks(&scratch, &generated.tally).await,
        Err(_) => Ok(Vec::new()),
    };
    println!("counted rows in {:.1} s", started.elapsed().as_secs_f64());
    let started = std::time::Instant::now();
    if options.keep {
        println!(
            "scratch stores kept: Postgres schema {}, ClickHouse database {}",
            scratch.schema, scratch.database
        );
        scratch.pool.close().await;
    } else {
        scratch.drop(&config).await?;
        println!(
            "dropped the scratch stores in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let (replayed, cpu, peak) = replayed?;
    let records: i64 = targets.values().sum();
    Ok(build_report(
        &namespace.name,
        options,
        &config,
        partitions,
        &generated,
        replayed,
        cpu,
        peak,
        u64::try_from(records).unwrap_or(0),
        checks?,
    ))
}

type Measured = (Replayed, system::CpuUse, Option<f64>);

async fn replay_measured(
    config: &Config,
    namespace: &Namespace,
    scratch: &Scratch,
    targets: HashMap<i32, i64>,
    options: &Options,
) -> Result<Measured, ProjectorError> {
    system::reset_peak_rss();
    let before = system::sample();
    let replayed = replay::replay(
        &namespace.kafka,
        config,
        scratch,
        namespace.log_epoch,
        targets,
        options.timeout,
    )
    .await?;
    let after = system::sample();
    Ok((
        replayed,
        system::usage(&before, &after),
        system::peak_rss_mib(),
    ))
}

/// The next offset of every partition: where the replay stops.
async fn end_offsets(
    kafka: &KafkaConfig,
    topic: &str,
    partitions: i32,
) -> Result<HashMap<i32, i64>, ProjectorError> {
    let kafka = kafka.clone();
    let topic = topic.to_string();
    let ends = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = kafka::assigned_consumer_config(&kafka).create()?;
        kafka::high_watermarks(&consumer, &topic, partitions)
    })
    .await??;
    Ok((0..partitions).zip(ends).collect())
}

#[allow(clippy::too_many_arguments)] // one call site, assembling the report from its parts
fn build_report(
    namespace: &str,
    options: &Options,
    config: &Config,
    partitions: i32,
    generated: &Generated,
    replayed: Replayed,
    cpu: system::CpuUse,
    peak_rss_mib: Option<f64>,
    records: u64,
    checks: Vec<checks::RowCheck>,
) -> Report {
    let tally = &generated.tally;
    let wall = replayed.wall.as_secs_f64();
    let events_per_second = tally.events as f64 / wall.max(1e-9);
    let generation_seconds = generated.elapsed.as_secs_f64();
    let shop = BTreeMap::from([
        ("products", generated.size.products as u64),
        ("skus", generated.skus as u64),
        ("customers", generated.size.customers as u64),
        ("coupons", generated.size.coupons as u64),
    ]);
    let ok = replayed.dead_letters == 0 && !checks.is_empty() && checks.iter().all(|c| c.ok());
    Report {
        namespace: namespace.to_string(),
        requested_events: options.events,
        seed: options.seed,
        partitions,
        compression: options.compression.clone(),
        batch_max_records: config.batch.max_records,
        generation: Generation {
            events: tally.events,
            records: tally.records,
            bytes: tally.bytes,
            seconds: generation_seconds,
            events_per_second: tally.events as f64 / generation_seconds.max(1e-9),
            shop,
            visits: generated.visits.clone(),
            events_by_type: tally.by_type.clone(),
        },
        replay: Replay {
            events: tally.events,
            records,
            wall_seconds: wall,
            events_per_second,
            projections: replayed.projections,
            dead_letters: replayed.dead_letters,
            peak_rss_mib,
            cpu,
        },
        checks,
        goal: Goal::at(events_per_second),
        status: if ok { 0 } else { 1 },
    }
}
