//! The raw `events` table in ClickHouse: one row per event of every counted commit, for
//! analysts who want the log itself rather than a fact table shaped for one question.
//!
//! Nothing is decoded: each row carries the envelope as logged (its schema version and its
//! `data` as a JSON string), so an event this code could not decode still reaches the table,
//! and the projection never dead-letters anything but poison records (which the run loop
//! handles for every projection).
//!
//! Per batch: insert the rows, then the position, as [`super::stock_movements`] does. Each row
//! is a pure function of its log record and the table collapses rows on a key that ends in the
//! event id, so a batch replayed after a crash between the two inserts is read once with
//! `FINAL`.

use clickhouse::{Client, Row};
use runtime::log::{Counted, ItemKind, LogItem, PartitionStart};
use schemas::Commit;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    analytics,
    dlq::DeadLetters,
    error::ProjectorError,
    runner::{Batch, Outcome, Projection},
};

/// Position name.
pub const NAME: &str = "event_log";

/// The ClickHouse table it fills.
pub const TABLE: &str = "events";

/// One row of `events` (see `clickhouse/0010_events.sql`).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct EventRow {
    /// The event's id: the row's identity.
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    /// Past-tense type, e.g. `StockReceived`.
    pub event_type: String,
    /// Version of the payload's shape.
    pub schema_version: u32,
    /// Stream, e.g. `inventory-SKU-1`.
    pub stream: String,
    /// 1-based position in the stream.
    pub stream_version: u64,
    /// Events partition of its commit.
    pub partition: i32,
    /// Offset of its commit.
    pub offset: i64,
    /// When it happened (seconds).
    pub occurred_at: u32,
    /// When the processor accepted the command (seconds).
    pub recorded_at: u32,
    /// The command that caused it.
    #[serde(with = "clickhouse::serde::uuid")]
    pub command_id: Uuid,
    /// The conversation it belongs to.
    #[serde(with = "clickhouse::serde::uuid")]
    pub correlation_id: Uuid,
    /// The message that directly caused the command.
    #[serde(with = "clickhouse::serde::uuid")]
    pub causation_id: Uuid,
    /// Who asked (`user:<id>`, `staff:<id>`, `system:<name>`).
    pub actor: String,
    /// The envelope's `data`, as JSON text.
    pub payload: String,
}

fn seconds(time: chrono::DateTime<chrono::Utc>) -> u32 {
    u32::try_from(time.timestamp()).unwrap_or(0)
}

/// The rows of the events of `commit`, read at `partition`/`offset`.
pub fn commit_rows(partition: i32, offset: i64, commit: &Commit) -> Vec<EventRow> {
    commit
        .events
        .iter()
        .map(|envelope| EventRow {
            event_id: envelope.event_id,
            event_type: envelope.event_type.clone(),
            schema_version: envelope.schema,
            stream: envelope.stream.clone(),
            stream_version: envelope.version,
            partition,
            offset,
            occurred_at: seconds(envelope.occurred_at),
            recorded_at: seconds(commit.accepted_at),
            command_id: envelope.command_id,
            correlation_id: envelope.correlation_id,
            causation_id: envelope.causation_id,
            actor: envelope.actor.clone(),
            // A JSON value always serialises.
            payload: serde_json::to_string(&envelope.data).unwrap_or_default(),
        })
        .collect()
}

/// The rows of every counted commit in `items`, in log order.
pub fn rows(items: &[LogItem]) -> Vec<EventRow> {
    items
        .iter()
        .flat_map(|item| match &item.kind {
            ItemKind::Counted(Counted::Commit(commit)) => {
                commit_rows(item.partition, item.offset, commit)
            }
            _ => Vec::new(),
        })
        .collect()
}

/// The raw events projection.
pub struct EventLog {
    client: Client,
    log_epoch: Uuid,
}

impl EventLog {
    /// The projection into `client`'s database, for the log `log_epoch`.
    pub fn new(client: Client, log_epoch: Uuid) -> Self {
        Self { client, log_epoch }
    }

    /// Inserts `rows`; inserting the same rows again changes nothing once read with `FINAL`.
    pub async fn write(&self, rows: &[EventRow]) -> Result<(), ProjectorError> {
        analytics::insert_rows(&self.client, TABLE, rows).await
    }
}

impl Projection for EventLog {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn starts(&mut self, partitions: i32) -> Result<Vec<PartitionStart>, ProjectorError> {
        analytics::load_positions(&self.client, NAME, self.log_epoch, partitions).await
    }

    async fn commit(
        &mut self,
        batch: &Batch,
        _dlq: &DeadLetters,
    ) -> Result<Outcome, ProjectorError> {
        self.write(&rows(&batch.items)).await?;
        analytics::store_positions(&self.client, NAME, self.log_epoch, &batch.advances).await?;
        Ok(Outcome::Committed)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use schemas::EventEnvelope;

    use super::*;

    fn envelope(version: u64, data: serde_json::Value) -> EventEnvelope {
        let command_id = Uuid::now_v7();
        EventEnvelope {
            event_id: Uuid::now_v7(),
            stream: "inventory-SKU-1".into(),
            version,
            event_type: "StockReceived".into(),
            schema: 2,
            occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            command_id,
            correlation_id: Uuid::now_v7(),
            causation_id: command_id,
            actor: "staff:test".into(),
            data,
        }
    }

    fn item(offset: i64, kind: ItemKind) -> LogItem {
        LogItem {
            partition: 3,
            offset,
            traceparent: None,
            kind,
        }
    }

    #[test]
    fn every_event_of_a_counted_commit_makes_one_row_and_nothing_else_does() {
        let events = vec![
            envelope(4, serde_json::json!({ "quantity": 5 })),
            envelope(5, serde_json::json!({ "quantity": "not even valid" })),
        ];
        let commit = Commit {
            stream: "inventory-SKU-1".into(),
            from_version: 4,
            epoch: 0,
            command_id: events[0].command_id,
            request_hash: None,
            accepted_at: DateTime::from_timestamp(1_700_000_009, 0).unwrap_or_else(Utc::now),
            events: events.clone(),
        };
        let rows = rows(&[
            item(0, ItemKind::Marker { owner: "p".into() }),
            item(
                1,
                ItemKind::Zombie {
                    record_epoch: 9,
                    current_epoch: Some(0),
                },
            ),
            item(2, ItemKind::Counted(Counted::Commit(commit))),
        ]);
        assert_eq!(rows.len(), 2);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.event_id).collect();
        assert_eq!(ids, vec![events[0].event_id, events[1].event_id]);
        let first = &rows[0];
        assert_eq!(
            (first.partition, first.offset, first.stream_version),
            (3, 2, 4)
        );
        assert_eq!(
            (first.occurred_at, first.recorded_at),
            (1_700_000_000, 1_700_000_009)
        );
        assert_eq!(first.schema_version, 2);
        assert_eq!(first.payload, r#"{"quantity":5}"#);
        assert_eq!(first.correlation_id, events[0].correlation_id);
        assert_eq!(rows[1].payload, r#"{"quantity":"not even valid"}"#);
    }
}
