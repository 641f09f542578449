//! Topic creation and the log epoch.
//!
//! The log epoch is a UUID written to the meta topic when a cluster's log begins (genesis) and
//! again at each restore. Tokens, checkpoints and snapshots carry it, so state derived from
//! another log (say, a local broker that restarted empty) is recognised and rebuilt instead of
//! being served next to the new log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::{
    Message, Offset, TopicPartitionList,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{BaseConsumer, Consumer},
    error::KafkaError,
    producer::FutureRecord,
    types::RDKafkaErrorCode,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    config::KafkaConfig,
    kafka::{self, METADATA_TIMEOUT},
};

/// What the meta topic says about the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEpoch {
    /// Identifies this incarnation of the log.
    pub log_epoch: Uuid,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// `genesis` or `restore`.
    pub cause: String,
}

/// Failures while preparing topics.
#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    /// The broker refused or could not be reached.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// A topic could not be created.
    #[error("creating topic {topic}: {code}")]
    Create {
        /// Topic name.
        topic: String,
        /// Broker error code.
        code: RDKafkaErrorCode,
    },
    /// The meta topic holds something that is not a log epoch.
    #[error("meta topic record is not a log epoch: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The meta record did not become readable in time.
    #[error("log epoch not readable after writing it")]
    NotReadable,
}

/// A topic to create: name, partitions, configs.
type TopicSpec<'a> = (String, i32, &'a [(&'a str, &'a str)]);

/// Outcome of [`ensure_topics`].
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// The log epoch now in force.
    pub epoch: LogEpoch,
    /// True when this call wrote the genesis record, i.e. the broker held no Agora log.
    pub fresh_broker: bool,
}

/// Creates the Agora topics when missing and makes sure a log epoch exists.
///
/// `commands` and `events` get `kafka.partitions` partitions; `events` is kept forever.
pub async fn ensure_topics(kafka: &KafkaConfig) -> Result<Bootstrap, TopicsError> {
    let topics = kafka.topics();
    let admin: AdminClient<DefaultClientContext> = kafka::base_config(kafka).create()?;
    let forever = [("retention.ms", "-1"), ("retention.bytes", "-1")];
    let specs: Vec<TopicSpec<'_>> = vec![
        (
            topics.commands.clone(),
            kafka.partitions,
            &[("retention.ms", "604800000")],
        ),
        (topics.events.clone(), kafka.partitions, &forever),
        (
            topics.replies.clone(),
            kafka.partitions,
            &[("retention.ms", "86400000")],
        ),
        (topics.dlq.clone(), 1, &forever),
        (topics.meta.clone(), 1, &forever),
    ];
    let new_topics: Vec<NewTopic> = specs
        .iter()
        .map(|(name, partitions, configs)| {
            configs.iter().fold(
                NewTopic::new(name, *partitions, TopicReplication::Fixed(1)),
                |topic, (key, value)| topic.set(key, value),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(METADATA_TIMEOUT));
    for result in admin.create_topics(&new_topics, &options).await? {
        if let Err((topic, code)) = result
            && code != RDKafkaErrorCode::TopicAlreadyExists
        {
            return Err(TopicsError::Create { topic, code });
        }
    }
    wait_for_topics(kafka, &[&topics.commands, &topics.events, &topics.meta]).await?;
    match read_log_epoch(kafka).await? {
        Some(epoch) => Ok(Bootstrap {
            epoch,
            fresh_broker: false,
        }),
        None => {
            let epoch = write_log_epoch(kafka, "genesis").await?;
            Ok(Bootstrap {
                epoch,
                fresh_broker: true,
            })
        }
    }
}

async fn wait_for_topics(kafka: &KafkaConfig, names: &[&str]) -> Result<(), TopicsError> {
    let deadline = tokio::time::Instant::now() + METADATA_TIMEOUT;
    loop {
        let ready = names
            .iter()
            .all(|name| kafka::partition_count(kafka, name).is_ok());
        if ready {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(TopicsError::Kafka(KafkaError::MetadataFetch(
                RDKafkaErrorCode::UnknownTopicOrPartition,
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Appends a new log epoch record (genesis or restore) and returns it.
pub async fn write_log_epoch(kafka: &KafkaConfig, cause: &str) -> Result<LogEpoch, TopicsError> {
    let epoch = LogEpoch {
        log_epoch: Uuid::now_v7(),
        started_at: Utc::now(),
        cause: cause.to_string(),
    };
    let producer = kafka::producer(kafka)?;
    let payload = serde_json::to_vec(&epoch)?;
    let topic = kafka.topics().meta;
    producer
        .send(
            FutureRecord::to(&topic)
                .partition(0)
                .key("log_epoch")
                .payload(&payload),
            METADATA_TIMEOUT,
        )
        .await
        .map_err(|(error, _)| error)?;
    Ok(epoch)
}

/// The log epoch in force: the last record of the meta topic, if any.
pub async fn read_log_epoch(kafka: &KafkaConfig) -> Result<Option<LogEpoch>, TopicsError> {
    let kafka = kafka.clone();
    tokio::task::spawn_blocking(move || read_log_epoch_blocking(&kafka))
        .await
        .map_err(|_| TopicsError::NotReadable)?
}

fn read_log_epoch_blocking(kafka: &KafkaConfig) -> Result<Option<LogEpoch>, TopicsError> {
    let topic = kafka.topics().meta;
    let consumer: BaseConsumer = kafka::assigned_consumer_config(kafka).create()?;
    let (low, high) = consumer.fetch_watermarks(&topic, 0, METADATA_TIMEOUT)?;
    if high <= low {
        return Ok(None);
    }
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(&topic, 0, Offset::Offset(high - 1))?;
    consumer.assign(&assignment)?;
    let deadline = std::time::Instant::now() + METADATA_TIMEOUT;
    while std::time::Instant::now() < deadline {
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message?;
            if message.offset() == high - 1 {
                let payload = message.payload().unwrap_or_default();
                return Ok(Some(serde_json::from_slice(payload)?));
            }
        }
    }
    Err(TopicsError::NotReadable)
}
