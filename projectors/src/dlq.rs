//! The dead-letter topic: records a projection cannot use, with enough context to replay them.
//!
//! A letter is produced (and its delivery awaited) *before* the batch that skips the record
//! commits its checkpoint. A crash in between produces the letter again on restart, so the DLQ
//! is at-least-once; letters carry their origin (`projection`, `partition`, `offset`) as key and
//! fields, which identifies duplicates.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use rdkafka::{error::KafkaError, producer::FutureRecord};
use runtime::{config::KafkaConfig, kafka};
use serde::{Deserialize, Serialize};

/// One record a projection gave up on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Why it was given up.
    pub error: String,
    /// Topic it was read from.
    pub origin_topic: String,
    /// Partition it was read from.
    pub origin_partition: i32,
    /// Offset it was read at.
    pub origin_offset: i64,
    /// The projection that could not use it.
    pub projection: String,
    /// The event within the record, when one event of a commit failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<uuid::Uuid>,
    /// When it was dead-lettered.
    pub time: DateTime<Utc>,
    /// The record (or event) as read: JSON when it was JSON, else `{"utf8": …}` or `{"hex": …}`.
    pub payload: serde_json::Value,
}

impl DeadLetter {
    /// Represents raw bytes as faithfully as JSON allows.
    pub fn raw_payload(bytes: &[u8]) -> serde_json::Value {
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
            return json;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::json!({ "utf8": text }),
            Err(_) => {
                let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
                serde_json::json!({ "hex": hex })
            }
        }
    }
}

/// Producer of dead letters, with a counter of how many were sent.
pub struct DeadLetters {
    /// `None` discards letters (rebuilds, which must not repeat what the live run reported).
    producer: Option<runtime::kafka::Producer>,
    topic: String,
    origin_topic: String,
    sent: AtomicU64,
}

impl DeadLetters {
    /// A producer to the DLQ topic under `kafka`'s prefix, for records of its events topic.
    pub fn new(kafka: &KafkaConfig) -> Result<Self, KafkaError> {
        let topics = kafka.topics();
        Ok(Self {
            producer: Some(kafka::producer(kafka)?),
            topic: topics.dlq,
            origin_topic: topics.events,
            sent: AtomicU64::new(0),
        })
    }

    /// Counts letters without sending them: for rebuilds beside a live projection, which has
    /// already dead-lettered the same records.
    pub fn discarding(kafka: &KafkaConfig) -> Self {
        let topics = kafka.topics();
        Self {
            producer: None,
            topic: topics.dlq,
            origin_topic: topics.events,
            sent: AtomicU64::new(0),
        }
    }

    /// How many letters this process has sent.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Sends one letter and waits for the broker to acknowledge it.
    pub async fn send(
        &self,
        projection: &str,
        partition: i32,
        offset: i64,
        event_id: Option<uuid::Uuid>,
        error: String,
        payload: serde_json::Value,
    ) -> Result<(), KafkaError> {
        let letter = DeadLetter {
            error,
            origin_topic: self.origin_topic.clone(),
            origin_partition: partition,
            origin_offset: offset,
            projection: projection.to_string(),
            event_id,
            time: Utc::now(),
            payload,
        };
        // A DeadLetter is plain data; serializing it cannot fail, but stay total anyway.
        let body = serde_json::to_vec(&letter).unwrap_or_default();
        let key = format!("{projection}/{partition}/{offset}");
        let Some(producer) = &self.producer else {
            self.sent.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                projection,
                partition,
                offset,
                "dead letter discarded (rebuild)"
            );
            return Ok(());
        };
        producer
            .send(
                FutureRecord::to(&self.topic).key(&key).payload(&body),
                kafka::METADATA_TIMEOUT,
            )
            .await
            .map_err(|(error, _)| error)?;
        let total = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::counter!("agora_dlq_letters_total", "projection" => projection.to_string())
            .increment(1);
        tracing::error!(
            projection,
            origin.partition = partition,
            origin.offset = offset,
            event.id = ?event_id,
            dlq.total = total,
            error = %letter.error,
            "record sent to the dead-letter topic"
        );
        Ok(())
    }
}
