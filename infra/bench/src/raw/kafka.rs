//! The broker's raw rates, with the clients configured as Agora's own:
//!
//! - **produce**: `runtime::kafka::producer` (idempotent, `acks=all`, linger 2 ms) writing
//!   command-sized JSON payloads to a 4-partition topic, many sends in flight, timed from the
//!   first send to the last acknowledgement;
//! - **consume-transform-produce** as the command processors do it (no transactions, see
//!   DESIGN.md): a group consumer reads those messages, takes whatever is already fetched (up to
//!   the processors' batch of 500), produces one record per input to the same partition of an
//!   output topic, awaits every delivery, then commits the input offsets; timed from the first
//!   message received to the last commit.

use std::{collections::HashMap, time::Duration};

use anyhow::Context;
use futures::{FutureExt, StreamExt, future::try_join_all, stream};
use rdkafka::{
    Message, Offset, TopicPartitionList,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{CommitMode, Consumer, StreamConsumer},
    producer::FutureRecord,
    util::Timeout,
};
use runtime::{config::KafkaConfig, kafka};
use serde::Serialize;
use tokio::time::Instant;

/// The processors' largest batch.
const MAX_BATCH: usize = 500;

/// A broker rate.
#[derive(Debug, Clone, Serialize)]
pub struct BrokerRate {
    /// Messages moved.
    pub messages: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// `messages / seconds`.
    pub per_second: f64,
}

impl BrokerRate {
    fn new(messages: u64, seconds: f64) -> Self {
        Self {
            messages,
            seconds,
            per_second: messages as f64 / seconds.max(1e-9),
        }
    }
}

/// Both broker rates.
#[derive(Debug, Clone, Serialize)]
pub struct BrokerRates {
    /// Idempotent, acks=all produce.
    pub produce: BrokerRate,
    /// Consume-transform-produce as the processors do it.
    pub consume_transform_produce: BrokerRate,
}

/// Measures both rates with `messages` messages on two topics under `kafka`'s prefix, deleted
/// afterwards.
pub async fn measure(kafka: &KafkaConfig, messages: u64) -> anyhow::Result<BrokerRates> {
    let input = format!("{}raw.in", kafka.topic_prefix);
    let output = format!("{}raw.out", kafka.topic_prefix);
    let admin: AdminClient<DefaultClientContext> = kafka::base_config(kafka).create()?;
    let options = AdminOptions::new().operation_timeout(Some(kafka::METADATA_TIMEOUT));
    let topics = [
        NewTopic::new(&input, 4, TopicReplication::Fixed(1)),
        NewTopic::new(&output, 4, TopicReplication::Fixed(1)),
    ];
    for result in admin.create_topics(&topics, &options).await? {
        result.map_err(|(topic, code)| anyhow::anyhow!("creating {topic}: {code}"))?;
    }
    let measured = async {
        let produce = produce(kafka, &input, messages).await?;
        let consume_transform_produce = transform(kafka, &input, &output, messages).await?;
        anyhow::Ok(BrokerRates {
            produce,
            consume_transform_produce,
        })
    }
    .await;
    if let Err(error) = admin.delete_topics(&[&input, &output], &options).await {
        tracing::warn!(%error, "could not delete the raw broker topics");
    }
    measured
}

/// A payload the size and shape of a command envelope.
fn payload(i: u64) -> Vec<u8> {
    serde_json::json!({
        "command_id": uuid::Uuid::new_v4(),
        "stream": format!("inventory-RAW-{:05}", i % 10_000),
        "command": { "type": "AdjustStock", "data": { "delta": 1, "reason": "raw benchmark" } },
        "actor": "staff:00000000-0000-0000-0000-000000000000",
        "correlation_id": uuid::Uuid::new_v4(),
        "issued_at": chrono::Utc::now(),
    })
    .to_string()
    .into_bytes()
}

async fn produce(kafka: &KafkaConfig, topic: &str, messages: u64) -> anyhow::Result<BrokerRate> {
    let producer = kafka::producer(kafka)?;
    let payloads: Vec<(String, Vec<u8>)> = (0..messages)
        .map(|i| (format!("inventory-RAW-{:05}", i % 10_000), payload(i)))
        .collect();
    let started = Instant::now();
    let producer = &producer;
    let mut sends = stream::iter(payloads.iter())
        .map(|(key, payload)| async move {
            producer
                .send(
                    FutureRecord::to(topic).key(key).payload(payload),
                    Timeout::Never,
                )
                .await
                .map(|_| ())
                .map_err(|(error, _)| error)
        })
        .buffer_unordered(10_000);
    while let Some(sent) = sends.next().await {
        sent.context("producing")?;
    }
    Ok(BrokerRate::new(messages, started.elapsed().as_secs_f64()))
}

async fn transform(
    kafka: &KafkaConfig,
    input: &str,
    output: &str,
    messages: u64,
) -> anyhow::Result<BrokerRate> {
    let group = format!("{}raw-ctp", kafka.topic_prefix);
    let consumer: StreamConsumer = kafka::group_consumer_config(kafka, &group).create()?;
    consumer.subscribe(&[input])?;
    let producer = kafka::producer(kafka)?;
    let mut done = 0u64;
    let mut started = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    while done < messages {
        anyhow::ensure!(
            Instant::now() < deadline,
            "consume-transform-produce stalled at {done}"
        );
        let first = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .context("no message within 60 s")??;
        started.get_or_insert_with(Instant::now);
        let mut batch = vec![first.detach()];
        // Whatever is already fetched joins the batch, as the processors' try_recv loop does.
        while batch.len() < MAX_BATCH {
            match consumer.recv().now_or_never() {
                Some(Ok(message)) => batch.push(message.detach()),
                _ => break,
            }
        }
        let sends = batch.iter().map(|message| {
            let producer = &producer;
            async move {
                let mut record = FutureRecord::to(output).partition(message.partition());
                if let Some(key) = message.key() {
                    record = record.key(key);
                }
                if let Some(payload) = message.payload() {
                    record = record.payload(payload);
                }
                producer
                    .send(record, Timeout::Never)
                    .await
                    .map_err(|(error, _)| error)
            }
        });
        try_join_all(sends).await.context("producing outputs")?;
        let mut next: HashMap<i32, i64> = HashMap::new();
        for message in &batch {
            let offset = next.entry(message.partition()).or_insert(0);
            *offset = (*offset).max(message.offset() + 1);
        }
        let mut offsets = TopicPartitionList::new();
        for (partition, offset) in next {
            offsets.add_partition_offset(input, partition, Offset::Offset(offset))?;
        }
        consumer.commit(&offsets, CommitMode::Async)?;
        done += batch.len() as u64;
    }
    let seconds = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    Ok(BrokerRate::new(done, seconds))
}
