//! Operations views of the admin schema: dead-letter re-drives and projection status.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

/// A dead letter an operator re-drove.
#[derive(Debug, Clone, SimpleObject)]
pub struct Redrive {
    /// Log epoch the re-drive patched.
    pub log_epoch: ID,
    /// Projection the letter was for.
    pub projection: String,
    /// Events partition of the record.
    pub partition: i32,
    /// Offset of the record.
    pub offset: i64,
    /// Event within the record (the nil UUID for the whole record).
    pub event_id: ID,
    /// When it was re-driven.
    pub redriven_at: DateTime<Utc>,
    /// What the re-drive did.
    pub outcome: String,
}

/// A projection and its checkpoints.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProjectionStatus {
    /// Projection name.
    pub projection: String,
    /// One per events partition.
    pub checkpoints: Vec<Checkpoint>,
}

/// Where a projection stands in one partition.
#[derive(Debug, Clone, SimpleObject)]
pub struct Checkpoint {
    /// Events partition.
    pub partition: i32,
    /// Next offset to read.
    pub next_offset: i64,
    /// Partition epoch at that offset.
    pub owner_epoch: Option<i64>,
    /// Log the checkpoint belongs to.
    pub log_epoch: ID,
    /// When it was written.
    pub updated_at: DateTime<Utc>,
}

/// The generation of a rebuild unit readers see.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProjectionVersion {
    /// Rebuild unit.
    pub unit: String,
    /// Generation.
    pub generation: i32,
    /// Code version that built it.
    pub code_version: i32,
    /// When readers switched to it.
    pub switched_at: DateTime<Utc>,
}
