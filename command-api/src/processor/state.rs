//! What a processor knows about one partition: every stream's state and every command's outcome.
//!
//! The state is only ever changed by records read back from the log under the log rules —
//! during hydration and when confirming a batch — so it is exactly what any other reader of the
//! log would compute. Decisions for a batch run on a scratch [`Overlay`] that is thrown away.

use std::collections::HashMap;

use runtime::log::Counted;
use schemas::RejectionReason;
use uuid::Uuid;

use crate::{
    aggregates::AnyAggregate,
    wire::{LogPosition, Outcome},
};

/// One stream's state and version.
#[derive(Debug, Clone)]
pub struct StreamState {
    /// Number of events in the stream.
    pub version: u64,
    /// The aggregate folded from them.
    pub aggregate: AnyAggregate,
}

/// A command already answered by the log, remembered for idempotency.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownOutcome {
    /// Hash of the request that first used this command id.
    pub request_hash: Option<String>,
    /// What the log says happened.
    pub outcome: Outcome,
}

/// Why a record read back could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// An event in a counted commit could not be decoded.
    #[error("stream {stream} version {version}: {source}")]
    Decode {
        /// Stream.
        stream: String,
        /// Event version.
        version: u64,
        /// Cause.
        source: schemas::DecodeError,
    },
    /// A commit names a stream kind this processor does not host.
    #[error("stream {0} is of an unknown kind")]
    UnknownStream(String),
    /// A commit does not continue its stream (a bug or a corrupted log).
    #[error("stream {stream}: commit starts at version {from}, stream is at {current}")]
    VersionGap {
        /// Stream.
        stream: String,
        /// Version the commit starts at.
        from: u64,
        /// Current stream version.
        current: u64,
    },
}

/// Everything the processor knows about one partition.
#[derive(Debug, Default)]
pub struct PartitionState {
    streams: HashMap<String, StreamState>,
    outcomes: HashMap<Uuid, KnownOutcome>,
}

impl PartitionState {
    /// Applies a counted record read at `position`.
    pub fn apply(&mut self, counted: &Counted, position: LogPosition) -> Result<(), ApplyError> {
        match counted {
            Counted::Commit(commit) => {
                let current = self.stream(&commit.stream)?;
                let mut state = current.clone();
                if !commit.events.is_empty() && commit.from_version != state.version + 1 {
                    return Err(ApplyError::VersionGap {
                        stream: commit.stream.clone(),
                        from: commit.from_version,
                        current: state.version,
                    });
                }
                for envelope in &commit.events {
                    state.aggregate =
                        state
                            .aggregate
                            .evolve(envelope)
                            .map_err(|source| ApplyError::Decode {
                                stream: commit.stream.clone(),
                                version: envelope.version,
                                source,
                            })?;
                    state.version = envelope.version;
                }
                let outcome = Outcome::Accepted {
                    version: state.version,
                    events: commit.events.len(),
                    position,
                };
                self.streams.insert(commit.stream.clone(), state);
                self.remember(commit.command_id, commit.request_hash.clone(), outcome);
            }
            Counted::Rejection(rejection) => {
                let outcome = Outcome::Rejected {
                    reason: rejection.error.clone(),
                    position,
                };
                self.remember(
                    rejection.command_id,
                    rejection.request_hash.clone(),
                    outcome,
                );
            }
        }
        Ok(())
    }

    /// The outcome the log holds for `command_id`, if it was answered before.
    pub fn outcome(&self, command_id: &Uuid) -> Option<&KnownOutcome> {
        self.outcomes.get(command_id)
    }

    /// Number of streams held in memory.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// The state of `stream` (empty if it has no events yet).
    pub fn stream(&self, stream: &str) -> Result<StreamState, ApplyError> {
        match self.streams.get(stream) {
            Some(state) => Ok(state.clone()),
            None => AnyAggregate::empty_for(stream)
                .map(|aggregate| StreamState {
                    version: 0,
                    aggregate,
                })
                .ok_or_else(|| ApplyError::UnknownStream(stream.to_string())),
        }
    }

    fn remember(&mut self, command_id: Uuid, request_hash: Option<String>, outcome: Outcome) {
        // The first answer wins: a command id is decided once, whatever is replayed later.
        self.outcomes.entry(command_id).or_insert(KnownOutcome {
            request_hash,
            outcome,
        });
    }
}

/// Scratch state for deciding one batch: streams touched so far, on top of the real state.
#[derive(Debug, Default)]
pub struct Overlay {
    streams: HashMap<String, StreamState>,
}

impl Overlay {
    /// The state of `stream` as the batch has left it so far.
    pub fn stream(&self, base: &PartitionState, stream: &str) -> Result<StreamState, ApplyError> {
        match self.streams.get(stream) {
            Some(state) => Ok(state.clone()),
            None => base.stream(stream),
        }
    }

    /// Records the state a decision in this batch leaves `stream` in.
    pub fn set(&mut self, stream: &str, state: StreamState) {
        self.streams.insert(stream.to_string(), state);
    }
}

/// A refusal of a command that never reached the domain's rules.
pub fn refusal(code: &str, kind: domain::ErrorKind, message: impl Into<String>) -> RejectionReason {
    RejectionReason {
        code: code.to_string(),
        kind,
        message: message.into(),
    }
}
