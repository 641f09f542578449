//! The loop every projection runs: read a batch under the log rules, hand it to the projection
//! to apply and checkpoint atomically, repeat.
//!
//! Each projection has its own [`LogReader`] over the partitions its [`Assignment`] names,
//! started at its own checkpoints: every partition for rebuilds and replays, the partitions this
//! replica's group member owns for `agora-projector run` ([`crate::membership`]). When the owned
//! set changes the reader is dropped between batches and the loop starts over from the stored
//! checkpoints of the new set, so a partition that comes back is never read from a stale
//! in-memory position.
//!
//! Failures of the machinery (a store or the broker away) are logged and retried from the last
//! checkpoint with a growing pause; records that cannot be used go to the DLQ.

use std::{
    collections::{BTreeSet, HashMap},
    future::Future,
    sync::Arc,
    time::Duration,
};

use runtime::{
    config::KafkaConfig,
    log::{ItemKind, LogItem, LogReader, PartitionStart},
    shutdown::Shutdown,
};

use crate::{config::BatchConfig, dlq::DeadLetters, error::ProjectorError, membership::Assignment};

/// How one partition's position moves with a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advance {
    /// Partition.
    pub partition: i32,
    /// The checkpoint's `next_offset` before the batch.
    pub expected: i64,
    /// `next_offset` after the batch.
    pub next_offset: i64,
    /// The partition's epoch after the batch (offset of its latest marker).
    pub epoch: Option<i64>,
}

/// Records read together, with the positions they move.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The records, in the order read (offset order within each partition).
    pub items: Vec<LogItem>,
    /// One advance per partition present in `items`.
    pub advances: Vec<Advance>,
}

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied and checkpointed.
    Committed,
    /// Someone else moved the checkpoint: nothing was written; re-read it and seek.
    Moved,
}

/// A projection as the run loop sees it.
pub trait Projection: Send {
    /// Stable name, used in checkpoints and dead letters.
    fn name(&self) -> &'static str;

    /// The aggregate kinds whose commits it applies; `None` (the default) for every record.
    /// Commits of other aggregates reach it as [`ItemKind::Elsewhere`], undecoded.
    fn aggregates(&self) -> Option<Vec<&'static str>> {
        None
    }

    /// Where to start reading each of `partitions` partitions: the stored checkpoints.
    fn starts(
        &mut self,
        partitions: i32,
    ) -> impl Future<Output = Result<Vec<PartitionStart>, ProjectorError>> + Send;

    /// Applies `batch` and stores its advances, all or nothing (or idempotently).
    fn commit(
        &mut self,
        batch: &Batch,
        dlq: &DeadLetters,
    ) -> impl Future<Output = Result<Outcome, ProjectorError>> + Send;
}

/// What a projection loop reads and how.
#[derive(Clone)]
pub struct RunContext {
    /// Broker settings.
    pub kafka: KafkaConfig,
    /// The events topic.
    pub topic: String,
    /// Its partition count.
    pub partitions: i32,
    /// Batch tuning.
    pub batch: BatchConfig,
    /// Where unusable records go.
    pub dlq: Arc<DeadLetters>,
    /// Stop once every partition reached this offset (rebuilds); `None` runs until shutdown.
    pub stop_at: Option<HashMap<i32, i64>>,
    /// Which partitions to read: all of them, or the ones this replica owns now.
    pub assignment: Assignment,
}

const MAX_BACKOFF: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Runs `projection` until shutdown (or until `stop_at` is reached). Returns an error only
/// for problems retrying cannot fix.
pub async fn run<P: Projection>(
    mut projection: P,
    context: RunContext,
    shutdown: Shutdown,
) -> Result<(), ProjectorError> {
    let name = projection.name();
    let mut backoff = FIRST_BACKOFF;
    let mut assignment = context.assignment.clone();
    while !shutdown.is_triggered() {
        match run_from_checkpoint(&mut projection, &context, &mut assignment, &shutdown).await {
            Ok(Stop::Finished) => break,
            Ok(Stop::Reseek) => backoff = FIRST_BACKOFF,
            Err(error) if error.is_transient() => {
                tracing::error!(projection = name, error = %error, retry_in = ?backoff, "projection failed; retrying from its checkpoint");
                tokio::select! {
                    _ = shutdown.wait() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(error) => return Err(error),
        }
    }
    tracing::info!(projection = name, "projection stopped");
    Ok(())
}

enum Stop {
    /// Shutdown or target reached.
    Finished,
    /// The checkpoint moved under us, or the owned partitions changed: start over from the
    /// stored checkpoints.
    Reseek,
}

async fn run_from_checkpoint<P: Projection>(
    projection: &mut P,
    context: &RunContext,
    assignment: &mut Assignment,
    shutdown: &Shutdown,
) -> Result<Stop, ProjectorError> {
    let name = projection.name();
    let owned = assignment.current(context.partitions);
    if owned.is_empty() {
        tracing::debug!(
            projection = name,
            "no partition owned; waiting for the group"
        );
        return Ok(tokio::select! {
            _ = shutdown.wait() => Stop::Finished,
            _ = assignment.changed() => Stop::Reseek,
        });
    }
    let starts = owned_starts(projection.starts(context.partitions).await?, &owned);
    let mut positions: HashMap<i32, (i64, Option<i64>)> = starts
        .iter()
        .map(|start| (start.partition, (start.next_offset, start.epoch)))
        .collect();
    if reached(&context.stop_at, &positions) {
        return Ok(Stop::Finished);
    }
    tracing::info!(
        projection = name,
        ?starts,
        "reading the log from the checkpoints"
    );
    let mut reader = LogReader::open(&context.kafka, &context.topic, &starts)?
        .only_aggregates(projection.aggregates());
    loop {
        let items = match read_batch(&mut reader, context.batch, assignment, shutdown).await? {
            Read::Items(items) => items,
            Read::Shutdown => return Ok(Stop::Finished),
            Read::Reassigned => {
                tracing::debug!(
                    projection = name,
                    "owned partitions changed; re-reading the checkpoints"
                );
                return Ok(Stop::Reseek);
            }
        };
        let items = within_target(items, &context.stop_at);
        if !items.is_empty() {
            let batch = plan(items, &positions);
            for item in &batch.items {
                if let ItemKind::Poison { error, payload } = &item.kind {
                    let payload = crate::dlq::DeadLetter::raw_payload(payload);
                    context
                        .dlq
                        .send(
                            name,
                            item.partition,
                            item.offset,
                            None,
                            error.clone(),
                            payload,
                        )
                        .await?;
                }
            }
            let started = std::time::Instant::now();
            match projection.commit(&batch, &context.dlq).await? {
                Outcome::Committed => {
                    metrics::histogram!(
                        "agora_projection_batch_duration_seconds",
                        "projection" => name
                    )
                    .record(started.elapsed().as_secs_f64());
                    metrics::counter!("agora_projection_records_total", "projection" => name)
                        .increment(batch.items.len() as u64);
                    for advance in &batch.advances {
                        positions.insert(advance.partition, (advance.next_offset, advance.epoch));
                    }
                    tracing::debug!(
                        projection = name,
                        records = batch.items.len(),
                        "batch committed"
                    );
                }
                Outcome::Moved => {
                    tracing::warn!(
                        projection = name,
                        "checkpoint moved by another projector; re-reading it"
                    );
                    return Ok(Stop::Reseek);
                }
            }
        }
        if reached(&context.stop_at, &positions) || shutdown.is_triggered() {
            return Ok(Stop::Finished);
        }
    }
}

/// The stored starts of the partitions in `owned`.
fn owned_starts(starts: Vec<PartitionStart>, owned: &BTreeSet<i32>) -> Vec<PartitionStart> {
    starts
        .into_iter()
        .filter(|start| owned.contains(&start.partition))
        .collect()
}

/// What waiting for a batch gave.
enum Read {
    /// Records (possibly none, when the idle wait ran out).
    Items(Vec<LogItem>),
    /// Shutdown was asked for.
    Shutdown,
    /// The owned partitions changed.
    Reassigned,
}

/// Reads one batch: waits up to `idle` for a first record (returning an empty batch), then
/// takes what arrives within `linger`, up to `max_records`. Shutdown or a change of the owned
/// partitions ends the wait for the first record.
///
/// Not `LogReader::poll_batch`: that wraps the whole batch in the idle timeout, so a timeout
/// firing during the linger would drop records the reader has already counted as read.
/// Here every timeout only ever cancels a wait for the *next* record, which loses nothing.
async fn read_batch(
    reader: &mut LogReader,
    batch: BatchConfig,
    assignment: &mut Assignment,
    shutdown: &Shutdown,
) -> Result<Read, ProjectorError> {
    let first = tokio::select! {
        _ = shutdown.wait() => return Ok(Read::Shutdown),
        _ = assignment.changed() => return Ok(Read::Reassigned),
        first = tokio::time::timeout(batch.idle, reader.next()) => first,
    };
    let Ok(first) = first else {
        return Ok(Read::Items(Vec::new()));
    };
    let mut items = vec![first?];
    let deadline = tokio::time::Instant::now() + batch.linger;
    while items.len() < batch.max_records {
        match tokio::time::timeout_at(deadline, reader.next()).await {
            Ok(item) => items.push(item?),
            Err(_linger_over) => break,
        }
    }
    Ok(Read::Items(items))
}

/// Drops records at or past the stop target of their partition.
fn within_target(mut items: Vec<LogItem>, stop_at: &Option<HashMap<i32, i64>>) -> Vec<LogItem> {
    if let Some(targets) = stop_at {
        items.retain(|item| {
            targets
                .get(&item.partition)
                .is_some_and(|target| item.offset < *target)
        });
    }
    items
}

fn reached(
    stop_at: &Option<HashMap<i32, i64>>,
    positions: &HashMap<i32, (i64, Option<i64>)>,
) -> bool {
    let Some(targets) = stop_at else {
        return false;
    };
    targets.iter().all(|(partition, target)| {
        positions
            .get(partition)
            .is_some_and(|(next_offset, _)| next_offset >= target)
    })
}

/// Computes each partition's advance over `items`: the next offset after its last record and
/// its epoch after the last marker (the same rule the reader applies).
pub fn plan(items: Vec<LogItem>, positions: &HashMap<i32, (i64, Option<i64>)>) -> Batch {
    let mut advances: Vec<Advance> = Vec::new();
    for item in &items {
        let index = match advances.iter().position(|a| a.partition == item.partition) {
            Some(index) => index,
            None => {
                let (expected, epoch) =
                    positions.get(&item.partition).copied().unwrap_or((0, None));
                advances.push(Advance {
                    partition: item.partition,
                    expected,
                    next_offset: expected,
                    epoch,
                });
                advances.len() - 1
            }
        };
        let advance = &mut advances[index];
        advance.next_offset = item.offset + 1;
        if matches!(item.kind, ItemKind::Marker { .. }) {
            advance.epoch = Some(item.offset);
        }
    }
    advances.sort_by_key(|a| a.partition);
    Batch { items, advances }
}

#[cfg(test)]
mod tests;
