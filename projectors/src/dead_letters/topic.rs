//! Reading every letter of the dead-letter topic, from its beginning to its end.
//!
//! "Its end" needs care: the local broker (tansu) reports the high watermark per record batch,
//! so it may lag behind the last record. The reader therefore stops only once it has read at
//! least up to the watermark *and* the topic has stayed quiet for a moment; it never stops
//! short of what the broker says it holds (it fails after a deadline instead).

use std::time::{Duration, Instant};

use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
    error::KafkaError,
};
use runtime::{config::KafkaConfig, kafka};

use crate::dlq::DeadLetter;

/// The first fetch after an assignment takes a while on the local broker.
const FIRST_FETCH: Duration = Duration::from_secs(5);
/// After that, this long without a record means the end was reached.
const QUIET: Duration = Duration::from_millis(500);
/// Giving up on reaching the watermark.
const DEADLINE: Duration = Duration::from_secs(60);

/// Why the topic could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// The broker failed or refused.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// The records stopped coming before the broker's high watermark.
    #[error("partition {partition} ended at offset {reached}, the broker reports {watermark}")]
    Short {
        /// Partition.
        partition: i32,
        /// Next offset after the last record read.
        reached: i64,
        /// The broker's high watermark.
        watermark: i64,
    },
    /// The blocking reader task died.
    #[error("reader task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Everything read from the topic.
#[derive(Debug, Default)]
pub struct Letters {
    /// The letters, in topic order.
    pub letters: Vec<DeadLetter>,
    /// Positions (`partition`, `offset`) of records that are no dead letter (not JSON of one).
    pub unreadable: Vec<(i32, i64)>,
}

/// Reads the whole dead-letter topic of `kafka`'s prefix.
pub async fn read_all(kafka: &KafkaConfig) -> Result<Letters, TopicError> {
    let kafka = kafka.clone();
    tokio::task::spawn_blocking(move || read_blocking(&kafka)).await?
}

fn read_blocking(kafka: &KafkaConfig) -> Result<Letters, TopicError> {
    let topic = kafka.topics().dlq;
    let partitions = kafka::partition_count(kafka, &topic)?;
    let consumer: BaseConsumer = kafka::assigned_consumer_config(kafka).create()?;
    let mut next = Vec::new();
    let mut watermarks = Vec::new();
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        let (low, high) = consumer.fetch_watermarks(&topic, partition, kafka::METADATA_TIMEOUT)?;
        next.push(low);
        watermarks.push(high);
        assignment.add_partition_offset(&topic, partition, Offset::Beginning)?;
    }
    let mut read = Letters::default();
    // Nothing was ever written (or everything expired): no fetch to wait for.
    if next.iter().zip(&watermarks).all(|(low, high)| low >= high) {
        return Ok(read);
    }
    consumer.assign(&assignment)?;
    let deadline = Instant::now() + DEADLINE;
    let mut wait = FIRST_FETCH;
    loop {
        match consumer.poll(wait) {
            Some(message) => {
                let message = message?;
                let partition = message.partition();
                if let Some(slot) = usize::try_from(partition)
                    .ok()
                    .and_then(|index| next.get_mut(index))
                {
                    *slot = (*slot).max(message.offset() + 1);
                }
                match serde_json::from_slice(message.payload().unwrap_or_default()) {
                    Ok(letter) => read.letters.push(letter),
                    Err(_) => read.unreadable.push((partition, message.offset())),
                }
                wait = QUIET;
            }
            None => {
                let short = (0..partitions)
                    .zip(next.iter().zip(&watermarks))
                    .find(|(_, (reached, watermark))| reached < watermark);
                match short {
                    None => return Ok(read),
                    Some((partition, (reached, watermark))) if Instant::now() >= deadline => {
                        return Err(TopicError::Short {
                            partition,
                            reached: *reached,
                            watermark: *watermark,
                        });
                    }
                    Some(_) => wait = FIRST_FETCH,
                }
            }
        }
    }
}
