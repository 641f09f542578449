//! One owned partition: taking it over, then deciding its commands batch by batch.
//!
//! Takeover: append an ownership marker (its offset becomes our epoch), hydrate every stream of
//! the partition from the log up to that marker under the log rules, then hand over to the batch
//! loop. Each batch: decide on a scratch overlay, append one record per command, await the acks,
//! then read the partition back through our own records. A foreign marker on the way means
//! another processor took over: we acknowledge nothing and give the partition up. Otherwise the
//! records read back update the state, replies go out, and command offsets are committed.
//!
//! # Layout
//! - [`takeover`]: the marker and hydration.
//! - [`incoming`]: decoding commands, their spans and metric names, and how each is answered.

use std::{collections::HashSet, sync::Arc};

use chrono::Utc;
use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{CommitMode, Consumer, StreamConsumer},
    message::OwnedMessage,
};
use runtime::log::{ItemKind, LogReadError, LogReader};
use schemas::{Commit, EventEnvelope, LogRecord, Rejection};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{
    ProcessorContext,
    expiry::{DueIndex, ExpiryTicker},
    state::{ApplyError, Overlay, PartitionState, StreamState, refusal},
    writer::{WriteError, Writer},
};
use crate::{
    aggregates::DecideError,
    wire::{CommandEnvelope, LogPosition, Outcome, Reply},
};

mod incoming;
mod takeover;

use self::incoming::{Answer, command_span, command_type, parse, runtime_header};

/// Most commands decided in one batch.
pub const MAX_BATCH: usize = 500;

/// Why a partition was given up.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    /// Another processor wrote a newer ownership marker.
    #[error("fenced: a newer owner's marker is at offset {marker}")]
    Fenced {
        /// Offset of the newer marker.
        marker: i64,
    },
    /// Reading the log failed.
    #[error(transparent)]
    Read(#[from] LogReadError),
    /// Writing to the log failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A counted record could not be applied (corrupt log or a bug).
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The broker failed outside reading or writing.
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
}

/// A partition this processor owns, with its state and its position in the log.
pub struct OwnedPartition {
    partition: i32,
    epoch: i64,
    state: PartitionState,
    log: LogReader,
    writer: Writer,
    consumer: Arc<StreamConsumer<ProcessorContext>>,
    commands_topic: String,
    next_command_offset: i64,
    append_delay: std::time::Duration,
    /// Held reservations of the partition, for the expiry ticker; fed by the records read back.
    due: DueIndex,
}

impl OwnedPartition {
    /// Decides batches of commands until the channel closes (revocation or shutdown) or the
    /// partition is lost. Between batches, each tick of `expiry` asks due inventory streams to
    /// expire their reservations (sent from a spawned task; the batch loop never waits on it).
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<OwnedMessage>,
        expiry: ExpiryTicker,
    ) -> Result<(), PartitionError> {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut ticks = expiry.interval();
        loop {
            let first = tokio::select! {
                received = commands.recv() => match received {
                    Some(first) => first,
                    None => break,
                },
                _ = ticks.tick() => {
                    expiry.issue(self.partition, &self.due);
                    continue;
                }
            };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match commands.try_recv() {
                    Ok(message) => batch.push(message),
                    Err(_) => break,
                }
            }
            self.process(std::mem::take(&mut batch)).await?;
        }
        Ok(())
    }

    async fn process(&mut self, messages: Vec<OwnedMessage>) -> Result<(), PartitionError> {
        let started = std::time::Instant::now();
        let batch_size = messages.len();
        // Outcomes are counted only once the records are confirmed ours (read back).
        let mut outcomes: Vec<(String, &'static str, String)> = Vec::new();
        let mut overlay = Overlay::default();
        let mut records = Vec::new();
        let mut answers = Vec::new();
        let mut in_batch = HashSet::new();
        let mut last_offset = None;
        // The trace context each record continues: its command's span.
        let mut traces = Vec::new();
        for message in messages {
            if message.offset() < self.next_command_offset {
                continue; // delivered again after a seek; already handled
            }
            last_offset = Some(message.offset());
            let envelope = match parse(&message) {
                Ok(envelope) => envelope,
                Err(answer) => {
                    answers.push(answer);
                    continue;
                }
            };
            let incoming = runtime_header(&message, schemas::log_record::HEADER_TRACEPARENT);
            let command = command_type(&envelope);
            let span = command_span(&envelope, &command);
            runtime::trace_context::continue_from(&span, incoming.as_deref());
            let _in_span = span.enter();
            if self.state.outcome(&envelope.command_id).is_some()
                || !in_batch.insert(envelope.command_id)
            {
                tracing::debug!(outcome = "duplicate", "command answered from the log");
                outcomes.push((command, "duplicate", String::new()));
                answers.push(Answer::FromLog(Box::new(envelope)));
                continue;
            }
            match self.decide(&mut overlay, &envelope) {
                Ok(record) => {
                    let outcome = match &record {
                        LogRecord::Rejection(rejection) => {
                            (command, "rejected", rejection.error.code.clone())
                        }
                        _ => (command, "accepted", String::new()),
                    };
                    tracing::debug!(outcome = outcome.1, code = %outcome.2, "command decided");
                    outcomes.push(outcome);
                    traces.push(runtime::trace_context::outgoing(&span, incoming.as_deref()));
                    records.push(record);
                    answers.push(Answer::FromLog(Box::new(envelope)));
                }
                Err(answer) => {
                    tracing::debug!(outcome = "malformed", "command refused as malformed");
                    outcomes.push((command, "malformed", String::new()));
                    answers.push(answer);
                }
            }
        }
        let Some(last_offset) = last_offset else {
            return Ok(());
        };
        if !records.is_empty() {
            if !self.append_delay.is_zero() {
                tokio::time::sleep(self.append_delay).await;
            }
            let offsets = self
                .writer
                .append(self.partition, &records, &traces)
                .await?;
            let through = offsets.iter().copied().max().unwrap_or(0);
            self.read_back_through(through).await?;
        }
        let replies: Vec<Reply> = answers.into_iter().map(|a| self.answer(a)).collect();
        self.writer.reply(self.partition, &replies).await?;
        self.commit_commands(last_offset + 1)?;
        for (command, outcome, code) in outcomes {
            metrics::counter!(
                "agora_commands_total",
                "command" => command,
                "outcome" => outcome,
                "code" => code
            )
            .increment(1);
        }
        metrics::histogram!("agora_processor_batch_size").record(batch_size as f64);
        metrics::histogram!("agora_processor_batch_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Decides one command on the overlay and returns the record to append.
    fn decide(
        &self,
        overlay: &mut Overlay,
        envelope: &CommandEnvelope,
    ) -> Result<LogRecord, Answer> {
        let current: StreamState =
            overlay
                .stream(&self.state, &envelope.stream)
                .map_err(|error| {
                    Answer::Malformed(
                        envelope.command_id,
                        envelope.stream.clone(),
                        error.to_string(),
                    )
                })?;
        let now = Utc::now();
        match current.aggregate.decide(&envelope.command) {
            Ok((events, next)) => {
                let from_version = current.version + 1;
                let envelopes: Vec<EventEnvelope> = events
                    .into_iter()
                    .zip(from_version..)
                    .map(|(event, version)| EventEnvelope {
                        event_id: Uuid::now_v7(),
                        stream: envelope.stream.clone(),
                        version,
                        event_type: event.event_type,
                        schema: event.schema,
                        occurred_at: now,
                        command_id: envelope.command_id,
                        correlation_id: envelope.correlation_id,
                        causation_id: envelope.causation_id,
                        actor: envelope.actor.clone(),
                        data: event.data,
                    })
                    .collect();
                overlay.set(
                    &envelope.stream,
                    StreamState {
                        version: current.version + envelopes.len() as u64,
                        aggregate: next,
                    },
                );
                Ok(LogRecord::Commit(Commit {
                    stream: envelope.stream.clone(),
                    from_version,
                    epoch: self.epoch,
                    command_id: envelope.command_id,
                    request_hash: envelope.request_hash.clone(),
                    accepted_at: now,
                    events: envelopes,
                }))
            }
            Err(DecideError::Refused(reason)) => Ok(LogRecord::Rejection(Rejection {
                stream: envelope.stream.clone(),
                epoch: self.epoch,
                command_id: envelope.command_id,
                request_hash: envelope.request_hash.clone(),
                rejected_at: now,
                error: reason,
            })),
            Err(DecideError::Malformed(message)) => Err(Answer::Malformed(
                envelope.command_id,
                envelope.stream.clone(),
                message,
            )),
        }
    }

    /// Reads the partition back through offset `through`, applying what counts; fails when a
    /// newer owner's marker shows up first.
    async fn read_back_through(&mut self, through: i64) -> Result<(), PartitionError> {
        while self
            .log
            .position(self.partition)
            .map_or(0, |p| p.next_offset)
            <= through
        {
            let item = self.log.next().await?;
            apply_item(&mut self.state, &mut self.due, self.epoch, &item)?;
        }
        Ok(())
    }

    fn answer(&self, answer: Answer) -> Reply {
        match answer {
            Answer::Malformed(command_id, stream, message) => Reply {
                command_id,
                stream,
                outcome: Outcome::Malformed { message },
            },
            Answer::FromLog(envelope) => {
                let envelope = *envelope;
                let outcome = match self.state.outcome(&envelope.command_id) {
                    Some(known)
                        if known.request_hash.is_some()
                            && envelope.request_hash.is_some()
                            && known.request_hash != envelope.request_hash =>
                    {
                        let position = match &known.outcome {
                            Outcome::Accepted { position, .. }
                            | Outcome::Rejected { position, .. } => *position,
                            Outcome::Malformed { .. } => LogPosition {
                                partition: self.partition,
                                offset: -1,
                            },
                        };
                        Outcome::Rejected {
                            reason: refusal(
                                "idempotency_key_reused",
                                domain::ErrorKind::Invalid,
                                "this Idempotency-Key was already used with a different request",
                            ),
                            position,
                        }
                    }
                    Some(known) => known.outcome.clone(),
                    None => Outcome::Malformed {
                        message: "the command's record was not found when read back".into(),
                    },
                };
                Reply {
                    command_id: envelope.command_id,
                    stream: envelope.stream,
                    outcome,
                }
            }
        }
    }

    fn commit_commands(&mut self, next_offset: i64) -> Result<(), PartitionError> {
        let mut offsets = TopicPartitionList::new();
        offsets.add_partition_offset(
            &self.commands_topic,
            self.partition,
            Offset::Offset(next_offset),
        )?;
        self.consumer.commit(&offsets, CommitMode::Async)?;
        self.next_command_offset = next_offset;
        Ok(())
    }
}

/// Applies one item read from our own partition (to the state and the expiry index). A marker
/// other than ours, after ours, fences us.
fn apply_item(
    state: &mut PartitionState,
    due: &mut DueIndex,
    epoch: i64,
    item: &runtime::log::LogItem,
) -> Result<(), PartitionError> {
    match &item.kind {
        ItemKind::Counted(counted) => {
            state.apply(
                counted,
                LogPosition {
                    partition: item.partition,
                    offset: item.offset,
                },
            )?;
            if let runtime::log::Counted::Commit(commit) = counted {
                due.observe(commit);
            }
        }
        ItemKind::Marker { .. } if item.offset > epoch => {
            return Err(PartitionError::Fenced {
                marker: item.offset,
            });
        }
        // `Elsewhere` never comes: hydration and read-back decode every aggregate.
        ItemKind::Marker { .. } | ItemKind::Zombie { .. } | ItemKind::Elsewhere { .. } => {}
        ItemKind::Poison { error, .. } => {
            tracing::error!(
                partition = item.partition,
                offset = item.offset,
                error,
                "undecodable record in the events log skipped"
            );
        }
    }
    Ok(())
}
