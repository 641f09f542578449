//! Producing the generated log: ownership markers first, then commits, as fast as the broker
//! takes them.
//!
//! One idempotent producer (acks=all) keeps every partition in order even across retries.
//! Records are enqueued synchronously in generation order (`send_result`), never from futures
//! polled in arbitrary order, and at most `MAX_IN_FLIGHT` deliveries are outstanding: when
//! librdkafka's queue is full the oldest delivery is awaited and the enqueue retried. Batches
//! are large (`linger.ms`, `batch.size`) because this is bulk loading, not a command's commit.

use std::collections::{HashMap, VecDeque};

use chrono::Utc;
use rdkafka::{
    error::{KafkaError, RDKafkaErrorCode},
    message::{Header, OwnedHeaders},
    producer::{DeliveryFuture, FutureProducer, FutureRecord},
};
use runtime::{config::KafkaConfig, kafka};
use schemas::{
    LogRecord, OwnershipMarker,
    log_record::{HEADER_AGGREGATE, HEADER_EVENT_TYPES, HEADER_RECORD, HEADER_STREAM},
};

use super::record::Produced;

/// Deliveries awaited at most at once; bounds memory, not throughput.
const MAX_IN_FLIGHT: usize = 200_000;

/// Failures while producing.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The broker refused or the client failed.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// The producer dropped a delivery report (it was shut down).
    #[error("delivery report lost")]
    Canceled,
    /// A marker could not be serialized.
    #[error("serializing a marker: {0}")]
    Json(#[from] serde_json::Error),
}

/// The benchmark's producer of `topic`.
pub struct LogWriter {
    producer: FutureProducer,
    topic: String,
    in_flight: VecDeque<DeliveryFuture>,
    ends: HashMap<i32, i64>,
}

impl LogWriter {
    /// An idempotent, batching producer; `compression` is librdkafka's `compression.type`.
    pub fn new(kafka: &KafkaConfig, topic: &str, compression: &str) -> Result<Self, WriteError> {
        let mut config = kafka::base_config(kafka);
        config
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "20")
            .set("batch.size", "1000000")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "1000000")
            .set("queue.buffering.max.kbytes", "1048576")
            .set("message.timeout.ms", "120000")
            .set("compression.type", compression);
        let producer = config.create()?;
        Ok(Self {
            producer,
            topic: topic.to_string(),
            in_flight: VecDeque::new(),
            ends: HashMap::new(),
        })
    }

    /// Appends one ownership marker to each partition, as a processor taking it over would,
    /// and returns their offsets: the epochs the commits must carry.
    pub async fn markers(&mut self, partitions: i32) -> Result<Vec<i64>, WriteError> {
        let mut epochs = Vec::new();
        for partition in 0..partitions {
            let marker = LogRecord::Marker(OwnershipMarker {
                owner: "agora-replay-bench".to_string(),
                written_at: Utc::now(),
            });
            let payload = serde_json::to_vec(&marker)?;
            let headers = OwnedHeaders::new().insert(Header {
                key: HEADER_RECORD,
                value: Some(marker.kind()),
            });
            let delivery = self
                .producer
                .send(
                    FutureRecord::to(&self.topic)
                        .partition(partition)
                        .key("ownership-marker")
                        .payload(&payload)
                        .headers(headers),
                    kafka::METADATA_TIMEOUT,
                )
                .await
                .map_err(|(error, _)| WriteError::Kafka(error))?;
            epochs.push(delivery.offset);
            self.ends.insert(partition, delivery.offset + 1);
        }
        Ok(epochs)
    }

    /// Enqueues `records` in order.
    pub async fn write(&mut self, records: Vec<Produced>) -> Result<(), WriteError> {
        let topic = self.topic.clone();
        for record in &records {
            let headers = OwnedHeaders::new()
                .insert(Header {
                    key: HEADER_RECORD,
                    value: Some("commit"),
                })
                .insert(Header {
                    key: HEADER_STREAM,
                    value: Some(record.key.as_str()),
                })
                .insert(Header {
                    key: HEADER_AGGREGATE,
                    value: Some(record.aggregate),
                })
                .insert(Header {
                    key: HEADER_EVENT_TYPES,
                    value: Some(record.event_types.as_str()),
                });
            let mut next = FutureRecord::to(&topic)
                .partition(record.partition)
                .key(record.key.as_str())
                .payload(record.payload.as_slice())
                .headers(headers);
            loop {
                match self.producer.send_result(next) {
                    Ok(delivery) => {
                        self.in_flight.push_back(delivery);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        next = back;
                        if !self.await_oldest().await? {
                            // Nothing of ours in flight yet the queue is full: give the
                            // background poller a moment to drain it.
                            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        }
                    }
                    Err((error, _)) => return Err(error.into()),
                }
            }
            while self.in_flight.len() > MAX_IN_FLIGHT {
                self.await_oldest().await?;
            }
        }
        Ok(())
    }

    /// Waits until every enqueued record is acknowledged.
    pub async fn flush(&mut self) -> Result<(), WriteError> {
        while self.await_oldest().await? {}
        Ok(())
    }

    /// One past the last acknowledged offset of every partition written to.
    pub fn ends(&self) -> &HashMap<i32, i64> {
        &self.ends
    }

    /// Awaits the oldest outstanding delivery; false when none was outstanding.
    async fn await_oldest(&mut self) -> Result<bool, WriteError> {
        let Some(delivery) = self.in_flight.pop_front() else {
            return Ok(false);
        };
        match delivery.await {
            Ok(Ok(delivery)) => {
                let end = self.ends.entry(delivery.partition).or_default();
                *end = (*end).max(delivery.offset + 1);
                Ok(true)
            }
            Ok(Err((error, _))) => Err(error.into()),
            Err(_canceled) => Err(WriteError::Canceled),
        }
    }
}
