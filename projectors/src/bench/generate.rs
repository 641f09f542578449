//! Writing the synthetic log: the shop is opened and visited on a blocking thread (pure
//! domain decisions and JSON encoding), while the async side produces the chunks it hands
//! over, so generation and production overlap.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use chrono::{TimeZone, Utc};
use runtime::config::KafkaConfig;
use serde::Serialize;
use tokio::sync::mpsc;

use super::{
    journey::{self, Outcome},
    record::{GenerateError, Produced, Recorder, Tally},
    shop::{Shop, Size},
    writer::{LogWriter, WriteError},
};

/// Records handed to the producer at once.
const CHUNK: usize = 5_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Stop after the visit that reaches this many events.
    pub events: u64,
    /// Seed of every choice.
    pub seed: u64,
    /// librdkafka `compression.type`.
    pub compression: String,
}

/// How many visits ended which way.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Visits {
    /// Carts left without an order.
    pub abandoned: u64,
    /// Orders rejected (stock or coupon).
    pub rejected: u64,
    /// Orders cancelled before payment.
    pub cancelled: u64,
    /// Orders delivered.
    pub delivered: u64,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Events, records and bytes by type.
    pub tally: Tally,
    /// Visit outcomes.
    pub visits: Visits,
    /// The shop's size.
    pub size: Size,
    /// SKUs in the catalog.
    pub skus: usize,
    /// One past the last acknowledged offset of each partition: the end of the log.
    pub ends: HashMap<i32, i64>,
    /// From the first marker to the last acknowledgement.
    pub elapsed: Duration,
}

/// Failures of generation.
#[derive(Debug, thiserror::Error)]
pub enum GenerationError {
    /// The scenario broke a domain rule.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// Producing failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The generator thread panicked.
    #[error("generator thread: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Writes markers, then a log of at least `options.events` events to `topic`.
pub async fn generate(
    kafka: &KafkaConfig,
    topic: &str,
    partitions: i32,
    options: &GenerateOptions,
) -> Result<Generated, GenerationError> {
    let started = Instant::now();
    let mut writer = LogWriter::new(kafka, topic, &options.compression)?;
    let epochs = writer.markers(partitions).await?;
    let (chunks, mut received) = mpsc::channel::<Vec<Produced>>(16);
    let (events, seed) = (options.events, options.seed);
    let generator = tokio::task::spawn_blocking(move || run_scenario(events, seed, epochs, chunks));
    let mut write_error = None;
    while let Some(chunk) = received.recv().await {
        if let Err(error) = writer.write(chunk).await {
            write_error = Some(error);
            break;
        }
    }
    // Dropping the receiver stops the generator at its next hand-over.
    drop(received);
    let scenario = generator.await?;
    if let Some(error) = write_error {
        return Err(error.into());
    }
    let (tally, visits, size, skus) = scenario?;
    writer.flush().await?;
    Ok(Generated {
        tally,
        visits,
        size,
        skus,
        ends: writer.ends().clone(),
        elapsed: started.elapsed(),
    })
}

type Scenario = (Tally, Visits, Size, usize);

fn run_scenario(
    events: u64,
    seed: u64,
    epochs: Vec<i64>,
    chunks: mpsc::Sender<Vec<Produced>>,
) -> Result<Scenario, GenerateError> {
    // A fixed start keeps the log identical for a seed, timestamps included.
    let start = Utc
        .with_ymd_and_hms(2025, 3, 1, 8, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let mut recorder = Recorder::new(seed, start, epochs);
    let size = Size::for_events(events);
    let mut shop = Shop::open(&mut recorder, size)?;
    let mut visits = Visits::default();
    while recorder.tally.events < events {
        match journey::visit(&mut shop, &mut recorder)? {
            Outcome::Abandoned => visits.abandoned += 1,
            Outcome::Rejected => visits.rejected += 1,
            Outcome::Cancelled => visits.cancelled += 1,
            Outcome::Delivered => visits.delivered += 1,
        }
        recorder.pause(1, 40);
        if recorder.pending() >= CHUNK {
            chunks
                .blocking_send(recorder.drain())
                .map_err(|_| GenerateError::WriterGone)?;
        }
    }
    if recorder.pending() > 0 {
        chunks
            .blocking_send(recorder.drain())
            .map_err(|_| GenerateError::WriterGone)?;
    }
    Ok((recorder.tally, visits, size, shop.items.len()))
}
