//! The event envelope: one event with everything a reader needs to place it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One event as written to the log and read by every consumer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventEnvelope {
    /// UUIDv7, unique across the whole log.
    pub event_id: Uuid,
    /// Stream the event belongs to, e.g. `product-<uuid>` or `inventory-<sku>`.
    pub stream: String,
    /// 1-based position of the event within its stream.
    pub version: u64,
    /// Past-tense event type, e.g. `StockReceived`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Version of the `data` shape for this event type.
    pub schema: u32,
    /// When the command that caused the event was accepted.
    pub occurred_at: DateTime<Utc>,
    /// The command that caused the event.
    pub command_id: Uuid,
    /// The conversation this event belongs to (the first command's id).
    pub correlation_id: Uuid,
    /// The message that directly caused the command (a command id or an event id).
    pub causation_id: Uuid,
    /// Who asked, e.g. `user:<uuid>`, `staff:<uuid>`, `system:checkout-saga`.
    pub actor: String,
    /// The event payload, in the shape `schema` names.
    pub data: serde_json::Value,
}
