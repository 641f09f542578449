//! Appending records to the events log and replies to the replies topic.

use futures::future::try_join_all;
use rdkafka::{
    error::KafkaError,
    message::{Header, OwnedHeaders},
    producer::FutureRecord,
    util::Timeout,
};
use schemas::{
    LogRecord,
    log_record::{HEADER_AGGREGATE, HEADER_EVENT_TYPES, HEADER_RECORD, HEADER_STREAM},
};

use crate::{aggregates::kind_of, wire::Reply};

/// Failures while appending.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The broker did not acknowledge a record.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// A record could not be serialized (a bug).
    #[error("serializing a record: {0}")]
    Json(#[from] serde_json::Error),
}

/// Writes to the events and replies topics through one idempotent producer.
#[derive(Clone)]
pub struct Writer {
    producer: runtime::kafka::Producer,
    events_topic: String,
    replies_topic: String,
}

impl Writer {
    /// A writer over `producer`.
    pub fn new(
        producer: runtime::kafka::Producer,
        events_topic: String,
        replies_topic: String,
    ) -> Self {
        Self {
            producer,
            events_topic,
            replies_topic,
        }
    }

    /// Appends `records` to events partition `partition`, in order, and returns their offsets
    /// once the broker has acknowledged every one of them. `traceparents[i]` (when present) is
    /// the trace context record `i` continues, written as its `traceparent` header.
    pub async fn append(
        &self,
        partition: i32,
        records: &[LogRecord],
        traceparents: &[Option<String>],
    ) -> Result<Vec<i64>, WriteError> {
        let mut encoded = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            let traceparent = traceparents.get(i).and_then(Option::as_deref);
            encoded.push((record, traceparent, serde_json::to_vec(record)?));
        }
        let sends = encoded.iter().map(|(record, traceparent, payload)| {
            let (key, headers) = headers_for(record, *traceparent);
            let producer = &self.producer;
            let topic = &self.events_topic;
            async move {
                let future = producer.send(
                    FutureRecord::to(topic)
                        .partition(partition)
                        .key(&key)
                        .payload(payload)
                        .headers(headers),
                    Timeout::Never,
                );
                future
                    .await
                    .map(|delivery| delivery.offset)
                    .map_err(|(error, _)| WriteError::Kafka(error))
            }
        });
        try_join_all(sends).await
    }

    /// Publishes `replies` on `partition` of the replies topic and waits for their acks.
    pub async fn reply(&self, partition: i32, replies: &[Reply]) -> Result<(), WriteError> {
        let mut encoded = Vec::with_capacity(replies.len());
        for reply in replies {
            encoded.push((reply.command_id.to_string(), serde_json::to_vec(reply)?));
        }
        let sends = encoded.iter().map(|(key, payload)| {
            let future = self.producer.send(
                FutureRecord::to(&self.replies_topic)
                    .partition(partition)
                    .key(key)
                    .payload(payload),
                Timeout::Never,
            );
            async move {
                future
                    .await
                    .map(|_| ())
                    .map_err(|(e, _)| WriteError::Kafka(e))
            }
        });
        try_join_all(sends).await.map(|_| ())
    }
}

fn headers_for(record: &LogRecord, traceparent: Option<&str>) -> (String, OwnedHeaders) {
    let mut headers = OwnedHeaders::new().insert(Header {
        key: HEADER_RECORD,
        value: Some(record.kind()),
    });
    let key = match record {
        LogRecord::Commit(commit) => {
            let types: Vec<&str> = commit
                .events
                .iter()
                .map(|e| e.event_type.as_str())
                .collect();
            headers = headers
                .insert(Header {
                    key: HEADER_STREAM,
                    value: Some(commit.stream.as_str()),
                })
                .insert(Header {
                    key: HEADER_AGGREGATE,
                    value: Some(kind_of(&commit.stream).unwrap_or_default()),
                })
                .insert(Header {
                    key: HEADER_EVENT_TYPES,
                    value: Some(types.join(",").as_str()),
                });
            commit.stream.clone()
        }
        LogRecord::Rejection(rejection) => {
            headers = headers.insert(Header {
                key: HEADER_STREAM,
                value: Some(rejection.stream.as_str()),
            });
            rejection.stream.clone()
        }
        LogRecord::Marker(_) => "ownership-marker".to_string(),
    };
    if let Some(traceparent) = traceparent {
        headers = headers.insert(Header {
            key: schemas::log_record::HEADER_TRACEPARENT,
            value: Some(traceparent),
        });
    }
    (key, headers)
}
