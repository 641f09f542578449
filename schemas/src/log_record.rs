//! Records of the `agora.events` log.
//!
//! The log holds three kinds of record, all keyed by stream id (markers by partition):
//! - a [`Commit`]: every event of one accepted command for one stream, so a command's events land
//!   atomically without broker transactions;
//! - a [`Rejection`]: a refused command, so a retry gets the same answer after a crash;
//! - an [`OwnershipMarker`]: written by a command processor when it takes over a partition. Its
//!   *epoch is its own offset*, so two markers can never tie (see ADR 0001).
//!
//! Commits and rejections carry the epoch of the marker their writer appended; readers count a
//! record only when that epoch is the partition's current one (see `runtime::log`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::EventEnvelope;

/// Kafka header naming the record kind (`commit`, `rejection`, `marker`).
pub const HEADER_RECORD: &str = "agora-record";
/// Kafka header repeating the stream id.
pub const HEADER_STREAM: &str = "agora-stream";
/// Kafka header naming the aggregate kind (`product`, `inventory`, …).
pub const HEADER_AGGREGATE: &str = "agora-aggregate";
/// Kafka header listing the event types of a commit, comma separated.
pub const HEADER_EVENT_TYPES: &str = "agora-event-types";
/// W3C trace context, carried from the HTTP request through every hop.
pub const HEADER_TRACEPARENT: &str = "traceparent";

/// A record of the events log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogRecord {
    /// The events of one accepted command.
    Commit(Commit),
    /// A refused command.
    Rejection(Rejection),
    /// A processor took ownership of the partition.
    Marker(OwnershipMarker),
}

impl LogRecord {
    /// The value of the [`HEADER_RECORD`] header for this record.
    pub fn kind(&self) -> &'static str {
        match self {
            LogRecord::Commit(_) => "commit",
            LogRecord::Rejection(_) => "rejection",
            LogRecord::Marker(_) => "marker",
        }
    }
}

/// Every event one accepted command caused on one stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    /// The stream all events belong to.
    pub stream: String,
    /// Version of the first event; the rest follow without gaps.
    pub from_version: u64,
    /// Offset of the ownership marker of the processor that wrote this commit.
    pub epoch: i64,
    /// The command that was accepted.
    pub command_id: Uuid,
    /// Hash of the client's request body, to refuse a reused idempotency key with another body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// When the processor accepted the command.
    pub accepted_at: DateTime<Utc>,
    /// The events, in order.
    pub events: Vec<EventEnvelope>,
}

/// A command the domain refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// The stream the command addressed.
    pub stream: String,
    /// Offset of the ownership marker of the processor that wrote this record.
    pub epoch: i64,
    /// The refused command.
    pub command_id: Uuid,
    /// Hash of the client's request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// When the processor refused it.
    pub rejected_at: DateTime<Utc>,
    /// Why, as the domain said it.
    pub error: RejectionReason,
}

/// The domain's refusal, in wire form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionReason {
    /// Stable machine-readable code, e.g. `insufficient_stock`.
    pub code: String,
    /// `conflict`, `invalid` or `not_found`.
    pub kind: domain::ErrorKind,
    /// Human-readable explanation.
    pub message: String,
}

/// A processor announcing that it now owns the partition this record is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipMarker {
    /// Which processor instance wrote it (for operators; readers use the offset).
    pub owner: String,
    /// When it was written.
    pub written_at: DateTime<Utc>,
}
