//! Kafka client setup: producers, consumers, metadata, and the one partitioner.
//!
//! Settings follow the facts measured against the local broker (DESIGN.md): idempotent
//! `FutureProducer`s whose deliveries are awaited, and short group timeouts so joins and
//! takeovers happen in seconds rather than minutes.

use std::time::Duration;

use rdkafka::{
    ClientConfig,
    consumer::{BaseConsumer, Consumer},
    error::KafkaError,
    producer::FutureProducer,
};

use crate::{config::KafkaConfig, kafka_stats::StatsContext};

/// The producer every service uses: idempotent, and exporting its statistics.
pub type Producer = FutureProducer<StatsContext>;

/// How often clients that export statistics emit them (`AGORA_KAFKA_STATS_INTERVAL_MS`,
/// default 5000; 0 turns statistics off).
pub fn stats_interval_ms() -> u64 {
    crate::config::env_string("AGORA_KAFKA_STATS_INTERVAL_MS", "5000")
        .trim()
        .parse()
        .unwrap_or(5000)
}

/// Turns statistics on for a client about to be created with a context that exports them
/// ([`StatsContext`], or a custom context calling [`crate::kafka_stats::export`]). Clients
/// created with the default context must not: it logs every statistics document.
pub fn enable_stats(config: &mut ClientConfig) -> &mut ClientConfig {
    config.set("statistics.interval.ms", stats_interval_ms().to_string())
}

/// How long metadata and offset look-ups may take before they count as failed.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// The partition a stream lives in: `fnv1a64(stream) % partitions`.
///
/// Commands and events use the same function and the same partition count, which is what makes
/// the owner of command partition p the only writer of events partition p. Changing this
/// function (or the partition count) would move streams away from their history.
pub fn partition_for(stream: &str, partitions: i32) -> i32 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = stream.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    // `partitions` is validated positive where it is read from metadata.
    (hash % partitions.max(1) as u64) as i32
}

/// Settings shared by every client.
pub fn base_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &kafka.brokers)
        .set("client.id", "agora")
        .set("socket.keepalive.enable", "true")
        .set("topic.metadata.refresh.interval.ms", "10000");
    config
}

/// An idempotent producer (acks=all, ordered retries) that batches briefly.
pub fn producer(kafka: &KafkaConfig) -> Result<Producer, KafkaError> {
    let mut config = base_config(kafka);
    enable_stats(&mut config)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "2")
        .set("message.timeout.ms", "30000")
        .set("compression.type", "none")
        .create_with_context(StatsContext)
}

/// A consumer that reads explicitly assigned partitions and never commits: the shared log
/// reader, hydration and reply listeners. The group id is never joined; librdkafka wants one.
pub fn assigned_consumer_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut config = base_config(kafka);
    config
        .set("group.id", "agora-unjoined")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "20")
        .set("fetch.min.bytes", "1");
    config
}

/// A consumer-group member config: manual commits, cooperative assignment and the short
/// timeouts the local broker needs to rebalance in seconds.
pub fn group_consumer_config(kafka: &KafkaConfig, group_id: &str) -> ClientConfig {
    let mut config = base_config(kafka);
    let session = kafka.session_timeout.as_millis().max(1000);
    config
        .set("group.id", group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        .set("auto.offset.reset", "earliest")
        .set("partition.assignment.strategy", "cooperative-sticky")
        .set("session.timeout.ms", session.to_string())
        .set("heartbeat.interval.ms", (session / 4).max(250).to_string())
        .set(
            "max.poll.interval.ms",
            (session + 1000).max(7000).to_string(),
        )
        .set("fetch.wait.max.ms", "20");
    config
}

/// Number of partitions of `topic`, read from the broker's metadata.
pub fn partition_count(kafka: &KafkaConfig, topic: &str) -> Result<i32, KafkaError> {
    let consumer: BaseConsumer = assigned_consumer_config(kafka).create()?;
    let metadata = consumer.fetch_metadata(Some(topic), METADATA_TIMEOUT)?;
    let count = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().len() as i32)
        .unwrap_or(0);
    if count <= 0 {
        return Err(KafkaError::MetadataFetch(
            rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition,
        ));
    }
    Ok(count)
}

/// The next offset to be written to each partition of `topic` (its high watermark).
pub fn high_watermarks(
    consumer: &BaseConsumer,
    topic: &str,
    partitions: i32,
) -> Result<Vec<i64>, KafkaError> {
    (0..partitions)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, METADATA_TIMEOUT)
                .map(|(_, high)| high)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitioner_is_stable_and_in_range() {
        // Pinned values: a change here would move every stream to another partition.
        assert_eq!(
            partition_for("inventory-SKU-1", 4),
            partition_for("inventory-SKU-1", 4)
        );
        for stream in ["a", "product-1", "inventory-X", "order-42"] {
            let p = partition_for(stream, 12);
            assert!((0..12).contains(&p), "{stream} -> {p}");
        }
        assert_eq!(partition_for("", 7), (0xcbf2_9ce4_8422_2325u64 % 7) as i32);
    }

    #[test]
    fn partitioner_spreads_streams_over_partitions() {
        let mut counts = [0usize; 4];
        for i in 0..4000 {
            counts[partition_for(&format!("inventory-SKU-{i}"), 4) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 800), "uneven spread: {counts:?}");
    }
}
