//! How far a projection is behind the log head, in records and in seconds.
//!
//! Records: the log end (high watermark) minus the checkpoint, per partition. Seconds: the age
//! of the oldest record the projection has not applied yet, from the broker's timestamp of the
//! record at its checkpoint. Only the timestamp is read, never the record's contents, so this
//! is not a second way of interpreting the log beside `runtime::log`.
//!
//! The local broker reports high watermarks per produced batch, so right after a burst the
//! record count can read low; the age is read from the record itself and does not have that
//! problem.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
};

use crate::{config::Config, error::ProjectorError};

/// A projection's distance from the head of the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lag {
    /// Records not yet applied, over all partitions.
    pub records: i64,
    /// Age of the oldest record not yet applied (0 when caught up).
    pub seconds: f64,
}

/// How long to wait for the record at a checkpoint to arrive.
const FETCH_TIMEOUT: Duration = Duration::from_millis(1500);

/// The next offset to be written to each partition of `topic`.
pub async fn log_end(
    config: &Config,
    topic: &str,
    partitions: i32,
) -> Result<BTreeMap<i32, i64>, ProjectorError> {
    let kafka = config.kafka.clone();
    let topic = topic.to_string();
    let ends = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = runtime::kafka::assigned_consumer_config(&kafka).create()?;
        runtime::kafka::high_watermarks(&consumer, &topic, partitions)
    })
    .await??;
    Ok(ends
        .into_iter()
        .enumerate()
        .map(|(p, end)| (p as i32, end))
        .collect())
}

/// Checkpoints by projection, then partition: the next offset to read.
pub type Checkpoints = BTreeMap<String, BTreeMap<i32, i64>>;

/// The lag of every projection in `checkpoints` against the log `ends`, with `now_ms` the
/// current time in milliseconds since the epoch.
///
/// Projections mostly stand at the same offsets, so each distinct record at a checkpoint is
/// fetched once for all of them, through one consumer.
pub async fn measure_all(
    config: &Config,
    topic: &str,
    checkpoints: &Checkpoints,
    ends: &BTreeMap<i32, i64>,
    now_ms: i64,
) -> Result<BTreeMap<String, Lag>, ProjectorError> {
    let wanted: BTreeSet<(i32, i64)> = checkpoints
        .values()
        .flat_map(|positions| positions.iter().map(|(p, o)| (*p, *o)))
        .collect();
    let kafka = config.kafka.clone();
    let topic = topic.to_string();
    let stamps = tokio::task::spawn_blocking(move || timestamps(&kafka, &topic, wanted)).await??;
    Ok(checkpoints
        .iter()
        .map(|(projection, positions)| {
            let oldest = positions
                .iter()
                .filter_map(|(p, o)| stamps.get(&(*p, *o)).copied())
                .min();
            let seconds = oldest.map_or(0.0, |ts| ((now_ms - ts).max(0)) as f64 / 1000.0);
            let records = records_behind(positions, ends);
            // A record at the checkpoint proves one is behind, whatever the watermark says.
            let records = if oldest.is_some() {
                records.max(1)
            } else {
                records
            };
            (projection.clone(), Lag { records, seconds })
        })
        .collect())
}

/// Records between `positions` and `ends`.
pub fn records_behind(positions: &BTreeMap<i32, i64>, ends: &BTreeMap<i32, i64>) -> i64 {
    ends.iter()
        .map(|(partition, end)| (end - positions.get(partition).copied().unwrap_or(0)).max(0))
        .sum()
}

/// The broker timestamps of the records at `wanted` (partition, offset) that exist yet.
///
/// One consumer reads them in rounds: each round assigns every partition at its smallest
/// offset still wanted and takes one record per partition.
fn timestamps(
    kafka: &runtime::config::KafkaConfig,
    topic: &str,
    mut wanted: BTreeSet<(i32, i64)>,
) -> Result<BTreeMap<(i32, i64), i64>, ProjectorError> {
    let consumer: BaseConsumer = runtime::kafka::assigned_consumer_config(kafka).create()?;
    let mut found = BTreeMap::new();
    while !wanted.is_empty() {
        let mut round: BTreeMap<i32, i64> = BTreeMap::new();
        for (partition, offset) in &wanted {
            round.entry(*partition).or_insert(*offset);
        }
        let mut assignment = TopicPartitionList::new();
        for (partition, offset) in &round {
            assignment.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
        }
        consumer.assign(&assignment)?;
        let mut seen = BTreeSet::new();
        let deadline = std::time::Instant::now() + FETCH_TIMEOUT;
        while seen.len() < round.len() && std::time::Instant::now() < deadline {
            let Some(message) = consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let message = message?;
            if seen.insert(message.partition())
                && let Some(ts) = message.timestamp().to_millis()
            {
                found.insert((message.partition(), message.offset()), ts);
            }
            // One record per partition is all a round needs: stop fetching it.
            let mut done = TopicPartitionList::new();
            done.add_partition(topic, message.partition());
            consumer.pause(&done)?;
        }
        // Whatever did not arrive within the timeout does not exist yet: nothing is behind there.
        for (partition, offset) in round {
            wanted.remove(&(partition, offset));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_behind_sums_partitions_and_ignores_checkpoints_past_the_watermark() {
        let ends = BTreeMap::from([(0, 10), (1, 4), (2, 0)]);
        let positions = BTreeMap::from([(0, 7), (1, 6)]);
        assert_eq!(records_behind(&positions, &ends), 3);
        assert_eq!(records_behind(&BTreeMap::new(), &ends), 14);
    }
}
