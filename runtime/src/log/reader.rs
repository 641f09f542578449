//! The shared reader of `agora.events`.
//!
//! Hydration, projectors, process managers, the archiver and restore all read the log through
//! this type, so they agree on exactly which records count. It reads explicitly assigned
//! partitions from given positions (a checkpoint, or 0), decodes each record, applies the
//! [`PartitionRules`], and reports every offset it passes — counted, marker, zombie or poison —
//! so a consumer's checkpoint can always advance past what it has seen and never past what it
//! has not.

use std::{collections::HashMap, time::Duration};

use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{Consumer, StreamConsumer},
    error::KafkaError,
    message::BorrowedMessage,
};
use schemas::LogRecord;

use super::{
    rules::{Counted, PartitionRules, Verdict},
    skim,
};
use crate::config::KafkaConfig;

/// Where to start reading one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionStart {
    /// Partition number.
    pub partition: i32,
    /// First offset to read.
    pub next_offset: i64,
    /// The partition's epoch at `next_offset` (from the checkpoint), `None` from the start.
    pub epoch: Option<i64>,
}

impl PartitionStart {
    /// Reads `partition` from the beginning of the log.
    pub fn beginning(partition: i32) -> Self {
        Self {
            partition,
            next_offset: 0,
            epoch: None,
        }
    }
}

/// How far a reader has got in one partition: what a checkpoint stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Next offset to read.
    pub next_offset: i64,
    /// The partition's current epoch.
    pub epoch: Option<i64>,
}

/// One record read, with its verdict.
#[derive(Debug, Clone)]
pub struct LogItem {
    /// Partition it was read from.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// The `traceparent` header, when the writer set one.
    pub traceparent: Option<String>,
    /// What the rules made of it.
    pub kind: ItemKind,
}

/// What a record turned out to be.
#[derive(Debug, Clone)]
pub enum ItemKind {
    /// A commit or rejection that counts.
    Counted(Counted),
    /// An ownership marker.
    Marker {
        /// Who wrote it.
        owner: String,
    },
    /// A counted commit of an aggregate this reader does not follow
    /// ([`LogReader::only_aggregates`]): judged by its epoch, its body not decoded.
    Elsewhere {
        /// The aggregate kind its `agora-aggregate` header names.
        aggregate: String,
    },
    /// A write from a superseded owner, skipped by every reader.
    Zombie {
        /// The epoch the record carries.
        record_epoch: i64,
        /// The partition's epoch when it was read.
        current_epoch: Option<i64>,
    },
    /// A record that is not a valid log record; consumers send it to the DLQ.
    Poison {
        /// Why it could not be decoded.
        error: String,
        /// The raw value, for the dead letter.
        payload: Vec<u8>,
    },
}

/// Failures of the reader itself (not of single records, which become `Poison`).
#[derive(Debug, thiserror::Error)]
pub enum LogReadError {
    /// The broker failed or refused.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// The broker skipped offsets; continuing would silently miss records.
    #[error("partition {partition}: expected offset {expected}, broker delivered {got}")]
    Gap {
        /// Partition.
        partition: i32,
        /// Offset the reader expected.
        expected: i64,
        /// Offset it received.
        got: i64,
    },
}

/// Reads assigned partitions of the events topic under the log rules.
pub struct LogReader {
    consumer: StreamConsumer<crate::kafka_stats::StatsContext>,
    rules: HashMap<i32, PartitionRules>,
    positions: HashMap<i32, i64>,
    /// Aggregate kinds whose commits are decoded; `None` decodes every record.
    aggregates: Option<Vec<String>>,
}

impl LogReader {
    /// Opens a reader of `topic` at the given starts.
    pub fn open(
        kafka: &KafkaConfig,
        topic: &str,
        starts: &[PartitionStart],
    ) -> Result<Self, LogReadError> {
        let mut config = crate::kafka::assigned_consumer_config(kafka);
        // Statistics give every reader's lag (`agora_kafka_consumer_lag`).
        crate::kafka::enable_stats(&mut config)
            // A position outside the log is an error, never a silent jump to another offset.
            .set("auto.offset.reset", "error");
        let consumer: StreamConsumer<crate::kafka_stats::StatsContext> =
            config.create_with_context(crate::kafka_stats::StatsContext)?;
        let mut assignment = TopicPartitionList::new();
        let mut rules = HashMap::new();
        let mut positions = HashMap::new();
        for start in starts {
            assignment.add_partition_offset(
                topic,
                start.partition,
                Offset::Offset(start.next_offset),
            )?;
            rules.insert(start.partition, PartitionRules::resume(start.epoch));
            positions.insert(start.partition, start.next_offset);
        }
        consumer.assign(&assignment)?;
        Ok(Self {
            consumer,
            rules,
            positions,
            aggregates: None,
        })
    }

    /// Decodes only the commits of `aggregates` (by the `agora-aggregate` header); other
    /// commits are judged by their epoch alone and returned as [`ItemKind::Elsewhere`]. A
    /// projection reads every record of the log but applies one or two aggregates' events, and
    /// decoding the JSON of the rest was most of a rebuild's CPU. `None` decodes everything.
    pub fn only_aggregates(mut self, aggregates: Option<Vec<&'static str>>) -> Self {
        self.aggregates = aggregates.map(|kinds| kinds.into_iter().map(str::to_string).collect());
        self
    }

    /// Waits for the next record of any assigned partition.
    pub async fn next(&mut self) -> Result<LogItem, LogReadError> {
        loop {
            let Self {
                consumer,
                rules,
                positions,
                aggregates,
            } = self;
            let message = consumer.recv().await?;
            if let Some(item) = judge(rules, positions, aggregates.as_deref(), &message)? {
                return Ok(item);
            }
        }
    }

    /// Waits for one record, then takes whatever else arrives within `linger`, up to `max`.
    pub async fn next_batch(
        &mut self,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<LogItem>, LogReadError> {
        let first = self.next().await?;
        self.fill_batch(first, max, linger).await
    }

    /// Like [`next_batch`](Self::next_batch) but returns an empty batch when nothing arrives
    /// within `idle`, so callers can check their shutdown signal. The idle bound applies only
    /// to the first record: once a record has been judged it is always returned.
    pub async fn poll_batch(
        &mut self,
        max: usize,
        linger: Duration,
        idle: Duration,
    ) -> Result<Vec<LogItem>, LogReadError> {
        match tokio::time::timeout(idle, self.next()).await {
            Ok(first) => self.fill_batch(first?, max, linger).await,
            Err(_idle) => Ok(Vec::new()),
        }
    }

    async fn fill_batch(
        &mut self,
        first: LogItem,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<LogItem>, LogReadError> {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + linger;
        while batch.len() < max {
            // `next` is cancel-safe: a timeout can only fire while waiting for the broker,
            // never between judging a record and returning it.
            match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(item) => batch.push(item?),
                Err(_elapsed) => break,
            }
        }
        Ok(batch)
    }

    /// How far the reader has got in `partition`.
    pub fn position(&self, partition: i32) -> Option<Position> {
        let next_offset = *self.positions.get(&partition)?;
        let epoch = self.rules.get(&partition)?.current_epoch();
        Some(Position { next_offset, epoch })
    }

    /// Zombie records skipped so far in `partition`.
    pub fn zombies_skipped(&self, partition: i32) -> u64 {
        self.rules
            .get(&partition)
            .map(PartitionRules::zombies_skipped)
            .unwrap_or(0)
    }

    /// The partitions this reader was opened on.
    pub fn partitions(&self) -> Vec<i32> {
        let mut partitions: Vec<i32> = self.positions.keys().copied().collect();
        partitions.sort_unstable();
        partitions
    }
}

/// Applies the rules to one delivered message, advancing the partition's position.
fn judge(
    rules: &mut HashMap<i32, PartitionRules>,
    positions: &mut HashMap<i32, i64>,
    aggregates: Option<&[String]>,
    message: &BorrowedMessage<'_>,
) -> Result<Option<LogItem>, LogReadError> {
    {
        let partition = message.partition();
        let offset = message.offset();
        let Some(expected) = positions.get(&partition).copied() else {
            // Not one of ours (cannot happen with explicit assignment); ignore rather than guess.
            return Ok(None);
        };
        if offset < expected {
            // Re-delivery of something already judged (e.g. after a seek); judged once only.
            return Ok(None);
        }
        if offset > expected {
            return Err(LogReadError::Gap {
                partition,
                expected,
                got: offset,
            });
        }
        positions.insert(partition, offset + 1);
        let traceparent = header(message, schemas::log_record::HEADER_TRACEPARENT);
        let payload = message.payload().unwrap_or_default();
        // A commit whose body is not the commit its headers announce is decoded in full below
        // (and is poison if broken).
        if let Some(aggregate) = skim::not_followed(aggregates, message)
            && let Some(epoch) = skim::commit_epoch(payload)
        {
            let rules = rules.entry(partition).or_default();
            let kind = match rules.judge_epoch(epoch) {
                None => ItemKind::Elsewhere { aggregate },
                Some(_) => ItemKind::Zombie {
                    record_epoch: epoch,
                    current_epoch: rules.current_epoch(),
                },
            };
            return Ok(Some(LogItem {
                partition,
                offset,
                traceparent,
                kind,
            }));
        }
        let kind = match serde_json::from_slice::<LogRecord>(payload) {
            Err(error) => ItemKind::Poison {
                error: format!("not a log record: {error}"),
                payload: payload.to_vec(),
            },
            Ok(record) => {
                let rules = rules.entry(partition).or_default();
                match rules.judge(offset, record) {
                    Verdict::Counted(counted) => ItemKind::Counted(counted),
                    Verdict::Marker { owner } => ItemKind::Marker { owner },
                    Verdict::Zombie {
                        record_epoch,
                        current_epoch,
                    } => {
                        tracing::warn!(
                            partition,
                            offset,
                            record_epoch,
                            ?current_epoch,
                            "skipping a zombie write from a superseded owner"
                        );
                        ItemKind::Zombie {
                            record_epoch,
                            current_epoch,
                        }
                    }
                }
            }
        };
        Ok(Some(LogItem {
            partition,
            offset,
            traceparent,
            kind,
        }))
    }
}

/// A header's value as UTF-8, if present.
pub fn header(message: &BorrowedMessage<'_>, name: &str) -> Option<String> {
    skim::header_bytes(message, name)
        .and_then(|value| std::str::from_utf8(value).ok())
        .map(str::to_string)
}
