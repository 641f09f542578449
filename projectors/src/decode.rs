//! Turning counted commits into domain events: the one place projections decode.
//!
//! Every event goes through [`schemas::decode_event`], which upcasts old schema versions first,
//! so a replay of an old log decodes into today's event types. An event that does not decode is
//! dead-lettered on its own and the rest of its commit still applies.

use chrono::{DateTime, Utc};
use domain::Aggregate;
use runtime::log::{Counted, ItemKind, LogItem};
use schemas::EventEnvelope;
use uuid::Uuid;

use crate::{dlq::DeadLetters, error::ProjectorError};

/// One decoded event with where it came from.
#[derive(Debug, Clone)]
pub struct Decoded<E> {
    /// Events partition of its commit.
    pub partition: i32,
    /// Offset of its commit.
    pub offset: i64,
    /// The event's id.
    pub event_id: Uuid,
    /// Its stream, e.g. `inventory-SKU-1`.
    pub stream: String,
    /// Its 1-based version in the stream.
    pub version: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The event.
    pub event: E,
}

impl<E> Decoded<E> {
    /// The id part of the stream (`SKU-1` of `inventory-SKU-1`).
    pub fn stream_id(&self) -> &str {
        self.stream
            .split_once('-')
            .map(|(_, id)| id)
            .unwrap_or(&self.stream)
    }
}

/// Whether `stream` belongs to aggregate `A` (`<KIND>-<id>`).
pub fn is_stream_of<A: Aggregate>(stream: &str) -> bool {
    stream
        .strip_prefix(A::KIND)
        .is_some_and(|rest| rest.starts_with('-'))
}

/// Decodes one envelope as an event of `A`. Projections decode nowhere else.
pub fn decode<A: Aggregate>(envelope: &EventEnvelope) -> Result<A::Event, schemas::DecodeError> {
    schemas::decode_event::<A>(envelope)
}

/// Decodes one envelope of the commit at `partition`/`offset`, keeping where it came from.
pub fn decode_envelope<A: Aggregate>(
    partition: i32,
    offset: i64,
    envelope: &EventEnvelope,
) -> Result<Decoded<A::Event>, schemas::DecodeError> {
    Ok(Decoded {
        partition,
        offset,
        event_id: envelope.event_id,
        stream: envelope.stream.clone(),
        version: i64::try_from(envelope.version).unwrap_or(i64::MAX),
        occurred_at: envelope.occurred_at,
        event: decode::<A>(envelope)?,
    })
}

/// Decodes the events of `A`'s streams in `items`, in log order; events that fail to decode are
/// sent to the DLQ under `projection` and left out.
pub async fn decode_items<A: Aggregate>(
    items: &[LogItem],
    projection: &str,
    dlq: &DeadLetters,
) -> Result<Vec<Decoded<A::Event>>, ProjectorError> {
    let mut decoded = Vec::new();
    for item in items {
        let ItemKind::Counted(Counted::Commit(commit)) = &item.kind else {
            continue;
        };
        if !is_stream_of::<A>(&commit.stream) {
            continue;
        }
        for envelope in &commit.events {
            match decode_envelope::<A>(item.partition, item.offset, envelope) {
                Ok(event) => decoded.push(event),
                Err(error) => {
                    let payload = serde_json::to_value(envelope).unwrap_or_default();
                    dlq.send(
                        projection,
                        item.partition,
                        item.offset,
                        Some(envelope.event_id),
                        format!("event does not decode: {error}"),
                        payload,
                    )
                    .await?;
                }
            }
        }
    }
    Ok(decoded)
}
