//! Messages between the command API and the command processors.
//!
//! A [`CommandEnvelope`] travels on `agora.commands` keyed by its target stream; the processor
//! that owns the stream's partition answers with a [`Reply`] on `agora.replies`.

use chrono::{DateTime, Utc};
use schemas::RejectionReason;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A command addressed to one stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandEnvelope {
    /// Idempotency identity: derived from the client's key (scoped to the caller) or generated.
    pub command_id: Uuid,
    /// Target stream, e.g. `inventory-SKU-1`.
    pub stream: String,
    /// The aggregate's command as `{"type": "...", "data": {...}}`.
    pub command: serde_json::Value,
    /// Who asked, e.g. `staff:<uuid>`.
    pub actor: String,
    /// The conversation this command belongs to.
    pub correlation_id: Uuid,
    /// What caused it (the HTTP request's command id, or an event id for process managers).
    pub causation_id: Uuid,
    /// Hash of the client's request, to refuse a reused key with a different body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// When the API accepted the request.
    pub issued_at: DateTime<Utc>,
}

/// Where a commit landed: the consistency token's raw material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPosition {
    /// Events partition.
    pub partition: i32,
    /// Offset of the commit record.
    pub offset: i64,
}

/// The processor's answer to one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The command answered.
    pub command_id: Uuid,
    /// The stream it addressed.
    pub stream: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Accepted (with where its events are) or refused (with why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The command's events are in the log.
    Accepted {
        /// Stream version after the command (unchanged for a no-op).
        version: u64,
        /// Number of events the command caused (0 for a no-op such as a repeated release).
        events: usize,
        /// Where the commit record is.
        position: LogPosition,
    },
    /// The domain refused the command.
    Rejected {
        /// Why.
        reason: RejectionReason,
        /// Where the rejection record is.
        position: LogPosition,
    },
    /// The command itself could not be read (never reached the domain).
    Malformed {
        /// What was wrong.
        message: String,
    },
}
