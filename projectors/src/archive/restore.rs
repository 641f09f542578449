//! `agora-projector restore`: the archive back into an empty events topic.
//!
//! Every partition is republished in archived offset order with an idempotent producer whose
//! deliveries are all awaited; each delivered offset must equal the archived one, because
//! markers' epochs are offsets and the log rules would judge a shifted log differently. Restore
//! is resumable: records already in a partition must be exactly the archive's first records,
//! and republishing continues after them. Anything else in the topic (another log, or the whole
//! archive already) makes restore refuse before writing a byte. At the end a new log epoch
//! (`restore`) is written, so projections, snapshots and sagas rebuild from the restored log.

use std::{collections::HashMap, time::Duration};

use futures::future::join_all;
use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
    error::KafkaError,
    message::{Header, OwnedHeaders},
    producer::FutureRecord,
};
use runtime::{config::KafkaConfig, kafka, topics::TopicsError};
use sqlx::PgPool;
use uuid::Uuid;

use super::ArchivedHeader;
use crate::{config::Config, error::ProjectorError, migrate};

/// Records republished per round of concurrent sends.
const CHUNK: i64 = 1000;
/// How long the first record of a non-empty topic may take to arrive.
const FIRST_FETCH: Duration = Duration::from_secs(3);
/// Quiet time after which the topic counts as read to its end.
const QUIET: Duration = Duration::from_millis(500);

/// Why a restore failed or refused.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The broker failed.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// Topics or the log epoch could not be prepared.
    #[error("topics: {0}")]
    Topics(#[from] TopicsError),
    /// Postgres failed.
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// The stores could not be opened.
    #[error(transparent)]
    Stores(#[from] ProjectorError),
    /// An archived header list is unreadable.
    #[error("archived headers: {0}")]
    Headers(#[from] serde_json::Error),
    /// Restoring would not reproduce the archived log; nothing was written.
    #[error("restore refused: {0}")]
    Refused(String),
    /// The broker put a record at another offset than the archived one: the log is no longer
    /// identical to the archive. Stop everything and investigate.
    #[error(
        "partition {partition}: archived offset {archived} was delivered at offset {delivered}; restore aborted"
    )]
    OffsetMismatch {
        /// Partition.
        partition: i32,
        /// Offset in the archive.
        archived: i64,
        /// Offset the broker assigned.
        delivered: i64,
    },
    /// A blocking task died.
    #[error("task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What restore did to one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRestore {
    /// Partition.
    pub partition: i32,
    /// Records found already in place (from an interrupted restore).
    pub present: i64,
    /// Records republished now.
    pub republished: i64,
}

/// The outcome of a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// Per partition of the events topic.
    pub partitions: Vec<PartitionRestore>,
    /// The log epoch written at the end.
    pub log_epoch: Uuid,
}

/// A record found in the topic.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Present {
    offset: i64,
    value: Option<Vec<u8>>,
}

/// Republishes the archive of `config`'s database into `config`'s events topic.
pub async fn restore(config: &Config) -> Result<RestoreReport, RestoreError> {
    runtime::topics::ensure_topics(&config.kafka).await?;
    let pool = migrate::connect(&config.database_url, &config.pg_schema).await?;
    migrate::migrate_schema(&pool, &config.pg_schema).await?;
    let topic = config.kafka.topics().events;
    let partitions = {
        let kafka = config.kafka.clone();
        let topic = topic.clone();
        tokio::task::spawn_blocking(move || kafka::partition_count(&kafka, &topic)).await??
    };
    let archived = archived_counts(&pool, partitions).await?;
    let present = read_topic(&config.kafka, &topic, partitions).await?;
    let mut plan = Vec::new();
    for partition in 0..partitions {
        let count = archived.get(&partition).copied().unwrap_or(0);
        let records = present.get(&partition).map(Vec::as_slice).unwrap_or(&[]);
        verify_prefix(&pool, partition, count, records).await?;
        plan.push((partition, records.len() as i64, count));
    }
    if plan.iter().all(|(_, present, count)| present == count) {
        return Err(RestoreError::Refused(format!(
            "the events topic {topic} already holds every archived record; nothing to restore"
        )));
    }
    let producer = kafka::producer(&config.kafka)?;
    let mut report = Vec::new();
    for (partition, present, count) in plan {
        republish(&pool, &producer, &topic, partition, present, count).await?;
        tracing::info!(
            partition,
            present,
            republished = count - present,
            "partition restored"
        );
        report.push(PartitionRestore {
            partition,
            present,
            republished: count - present,
        });
    }
    let epoch = runtime::topics::write_log_epoch(&config.kafka, "restore").await?;
    pool.close().await;
    Ok(RestoreReport {
        partitions: report,
        log_epoch: epoch.log_epoch,
    })
}

/// Archived records per partition, checked to be a gapless run from offset 0 inside the
/// topic's partitions.
async fn archived_counts(
    pool: &PgPool,
    partitions: i32,
) -> Result<HashMap<i32, i64>, RestoreError> {
    let rows: Vec<(i32, i64, i64, i64)> = sqlx::query_as(
        r#"SELECT partition, count(*), min("offset"), max("offset") FROM event_archive
           GROUP BY partition ORDER BY partition"#,
    )
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Err(RestoreError::Refused("the event archive is empty".into()));
    }
    let mut counts = HashMap::new();
    for (partition, count, min, max) in rows {
        if partition >= partitions {
            return Err(RestoreError::Refused(format!(
                "the archive has partition {partition} but the events topic only {partitions} partitions"
            )));
        }
        if min != 0 || max != count - 1 {
            return Err(RestoreError::Refused(format!(
                "the archive of partition {partition} has gaps ({count} records, offsets {min}..={max})"
            )));
        }
        counts.insert(partition, count);
    }
    Ok(counts)
}

/// Checks that `records` (already in the topic) are exactly the first archived records.
async fn verify_prefix(
    pool: &PgPool,
    partition: i32,
    archived: i64,
    records: &[Present],
) -> Result<(), RestoreError> {
    if records.len() as i64 > archived {
        return Err(RestoreError::Refused(format!(
            "partition {partition} holds {} records, the archive only {archived}: the topic holds another log",
            records.len()
        )));
    }
    let mut from = 0;
    for chunk in records.chunks(CHUNK as usize) {
        let rows = load(pool, partition, from, chunk.len() as i64).await?;
        for (present, row) in chunk.iter().zip(&rows) {
            if present.offset != row.offset || present.value != row.value {
                return Err(RestoreError::Refused(format!(
                    "partition {partition} offset {} differs from the archive: the topic holds another log",
                    present.offset
                )));
            }
        }
        from += chunk.len() as i64;
    }
    Ok(())
}

/// One archived record, as republished.
#[derive(sqlx::FromRow)]
struct Row {
    offset: i64,
    key: Option<String>,
    headers: String,
    value: Option<Vec<u8>>,
}

async fn load(
    pool: &PgPool,
    partition: i32,
    from: i64,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT "offset", key, headers::text AS headers, value FROM event_archive
           WHERE partition = $1 AND "offset" >= $2 ORDER BY "offset" LIMIT $3"#,
    )
    .bind(partition)
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Republishes archived offsets `from..to` of `partition`, verifying every delivered offset.
async fn republish(
    pool: &PgPool,
    producer: &runtime::kafka::Producer,
    topic: &str,
    partition: i32,
    mut from: i64,
    to: i64,
) -> Result<(), RestoreError> {
    while from < to {
        let rows = load(pool, partition, from, CHUNK.min(to - from)).await?;
        let headers: Vec<Vec<ArchivedHeader>> = rows
            .iter()
            .map(|row| serde_json::from_str(&row.headers))
            .collect::<Result<_, _>>()?;
        // `join_all` polls the sends in order, so they are queued (and, with the idempotent
        // producer, written) in archived offset order.
        let sends = rows.iter().zip(&headers).map(|(row, headers)| {
            let headers = headers
                .iter()
                .fold(OwnedHeaders::new(), |all, (key, value)| {
                    all.insert(Header {
                        key,
                        value: value.as_deref(),
                    })
                });
            let mut record = FutureRecord::<str, [u8]>::to(topic)
                .partition(partition)
                .headers(headers);
            if let Some(key) = &row.key {
                record = record.key(key.as_str());
            }
            if let Some(value) = &row.value {
                record = record.payload(value.as_slice());
            }
            producer.send(record, Duration::from_secs(30))
        });
        let deliveries = join_all(sends).await;
        for (row, delivery) in rows.iter().zip(deliveries) {
            let delivery = delivery.map_err(|(error, _)| error)?;
            if delivery.partition != partition || delivery.offset != row.offset {
                return Err(RestoreError::OffsetMismatch {
                    partition,
                    archived: row.offset,
                    delivered: delivery.offset,
                });
            }
        }
        let Some(last) = rows.last() else {
            // The archive shrank under us; the counts were checked, so this is not a restore
            // we can finish faithfully.
            return Err(RestoreError::Refused(format!(
                "partition {partition}: archived offset {from} disappeared during the restore"
            )));
        };
        from = last.offset + 1;
    }
    Ok(())
}

/// Every record in the topic, by partition, read from the beginning until the topic goes
/// quiet. Not the high watermark alone: the local broker reports it per record batch.
async fn read_topic(
    kafka: &KafkaConfig,
    topic: &str,
    partitions: i32,
) -> Result<HashMap<i32, Vec<Present>>, RestoreError> {
    let kafka = kafka.clone();
    let topic = topic.to_string();
    let read = tokio::task::spawn_blocking(move || -> Result<_, KafkaError> {
        let consumer: BaseConsumer = kafka::assigned_consumer_config(&kafka).create()?;
        let watermarks = kafka::high_watermarks(&consumer, &topic, partitions)?;
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions {
            assignment.add_partition_offset(&topic, partition, Offset::Beginning)?;
        }
        consumer.assign(&assignment)?;
        let mut records: HashMap<i32, Vec<Present>> = HashMap::new();
        let mut wait = FIRST_FETCH;
        loop {
            match consumer.poll(wait) {
                Some(message) => {
                    let message = message?;
                    records
                        .entry(message.partition())
                        .or_default()
                        .push(Present {
                            offset: message.offset(),
                            value: message.payload().map(<[u8]>::to_vec),
                        });
                    wait = QUIET;
                }
                None => {
                    // Quiet; but never stop short of what the broker says it holds.
                    let short = (0..partitions).any(|p| {
                        let read = records.get(&p).map_or(0, Vec::len) as i64;
                        read < watermarks[p as usize]
                    });
                    if !short || wait == FIRST_FETCH {
                        break;
                    }
                    wait = FIRST_FETCH;
                }
            }
        }
        Ok(records)
    })
    .await??;
    Ok(read)
}
