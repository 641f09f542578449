//! Taking a partition over: our ownership marker, then hydration up to it.

use std::{sync::Arc, time::Instant};

use chrono::Utc;
use rdkafka::{
    Offset, TopicPartitionList,
    consumer::{Consumer, StreamConsumer},
};
use runtime::{
    config::KafkaConfig,
    log::{LogReader, PartitionStart},
};
use schemas::{LogRecord, OwnershipMarker};

use super::{
    super::{ProcessorContext, expiry::DueIndex, state::PartitionState, writer::Writer},
    OwnedPartition, PartitionError, apply_item,
};

impl OwnedPartition {
    /// Appends our ownership marker and hydrates the partition up to it. Returns the owned
    /// partition and the committed command offset to resume from.
    pub async fn take_over(
        partition: i32,
        owner: &str,
        kafka: &KafkaConfig,
        writer: Writer,
        consumer: Arc<StreamConsumer<ProcessorContext>>,
        append_delay: std::time::Duration,
    ) -> Result<(Self, Offset), PartitionError> {
        let started = Instant::now();
        let topics = kafka.topics();
        let marker = LogRecord::Marker(OwnershipMarker {
            owner: owner.to_string(),
            written_at: Utc::now(),
        });
        let epoch = writer.append(partition, &[marker], &[None]).await?[0];
        let mut log = LogReader::open(
            kafka,
            &topics.events,
            &[PartitionStart::beginning(partition)],
        )?;
        let mut state = PartitionState::default();
        let mut due = DueIndex::default();
        let mut records = 0u64;
        while log.position(partition).map_or(0, |p| p.next_offset) <= epoch {
            let item = log.next().await?;
            records += 1;
            apply_item(&mut state, &mut due, epoch, &item)?;
        }
        let committed = committed_offset(&consumer, &topics.commands, partition).await?;
        metrics::histogram!("agora_processor_hydration_seconds")
            .record(started.elapsed().as_secs_f64());
        tracing::info!(
            partition,
            epoch,
            records,
            streams = state.stream_count(),
            zombies_skipped = log.zombies_skipped(partition),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "took over partition"
        );
        let next_command_offset = match committed {
            Offset::Offset(offset) => offset,
            _ => 0,
        };
        Ok((
            Self {
                partition,
                epoch,
                state,
                log,
                writer,
                consumer,
                commands_topic: topics.commands,
                next_command_offset,
                append_delay,
                due,
            },
            committed,
        ))
    }
}

async fn committed_offset(
    consumer: &Arc<StreamConsumer<ProcessorContext>>,
    topic: &str,
    partition: i32,
) -> Result<Offset, PartitionError> {
    let consumer = Arc::clone(consumer);
    let topic = topic.to_string();
    let lookup = tokio::task::spawn_blocking(move || {
        let mut wanted = TopicPartitionList::new();
        wanted.add_partition(&topic, partition);
        consumer
            .committed_offsets(wanted, runtime::kafka::METADATA_TIMEOUT)
            .map(|list| {
                list.find_partition(&topic, partition)
                    .map(|p| p.offset())
                    .unwrap_or(Offset::Invalid)
            })
    });
    match lookup.await {
        Ok(result) => Ok(result?),
        Err(_) => Ok(Offset::Invalid),
    }
}
