//! The command processors: one consumer group on `agora.commands`, a single writer per
//! partition.
//!
//! The group only spreads partitions; correctness comes from the log. On assignment a partition
//! is paused on the poll thread, taken over off it ([`partition::OwnedPartition::take_over`]:
//! marker, hydration, committed offset), then seeked and resumed, and its commands flow to a
//! task that owns the partition's state. On revocation, fencing or shutdown that task finishes
//! its batch and stops.
//!
//! # Layout
//! - [`state`]: streams and outcomes of one partition, changed only by records read back.
//! - [`partition`]: takeover and the batch loop of one partition.
//! - [`writer`]: appending records and replies.
//! - [`expiry`]: the reservation expiry ticker each partition worker runs.

pub mod expiry;
pub mod partition;
pub mod state;
pub mod writer;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use rdkafka::{
    ClientContext, Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer},
    message::OwnedMessage,
};
use runtime::{health::Readiness, shutdown::Shutdown};

use crate::config::ProcessorConfig;
use tokio::{sync::mpsc, task::JoinSet};

use self::{
    partition::{OwnedPartition, PartitionError},
    writer::Writer,
};

/// Group id shared by every processor instance.
pub const GROUP_ID: &str = "agora-command-processors";

/// What the rebalance callback tells the main loop.
#[derive(Debug)]
pub enum RebalanceEvent {
    /// Partitions newly assigned (already paused).
    Assigned(Vec<i32>),
    /// Partitions taken away.
    Revoked(Vec<i32>),
}

/// Consumer context that pauses newly assigned partitions and reports rebalances.
pub struct ProcessorContext {
    events: mpsc::UnboundedSender<RebalanceEvent>,
    topic: String,
}

impl ClientContext for ProcessorContext {}

impl ConsumerContext for ProcessorContext {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let partitions = partitions_of(list, &self.topic);
                // Paused until taken over: no command is decided before hydration.
                if let Err(error) = consumer.pause(list) {
                    tracing::error!(%error, "could not pause newly assigned partitions");
                }
                let _ = self.events.send(RebalanceEvent::Assigned(partitions));
            }
            Rebalance::Revoke(list) => {
                let _ = self
                    .events
                    .send(RebalanceEvent::Revoked(partitions_of(list, &self.topic)));
            }
            Rebalance::Error(error) => tracing::error!(%error, "rebalance failed"),
        }
    }
}

fn partitions_of(list: &TopicPartitionList, topic: &str) -> Vec<i32> {
    list.elements()
        .iter()
        .filter(|e| e.topic() == topic)
        .map(|e| e.partition())
        .collect()
}

/// A finished takeover: the partition and the owned state with its resume offset.
type TakeoverResult = (i32, Result<(OwnedPartition, Offset), PartitionError>);

struct Worker {
    commands: mpsc::Sender<OwnedMessage>,
}

/// Runs a processor instance until shutdown.
pub async fn run(
    config: &ProcessorConfig,
    readiness: Readiness,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let kafka = config.kafka.clone();
    let append_delay = config.append_delay;
    let topics = kafka.topics();
    let owner = format!(
        "{}:{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into()),
        std::process::id()
    );
    let (events_tx, mut rebalances) = mpsc::unbounded_channel();
    let consumer: Arc<StreamConsumer<ProcessorContext>> = Arc::new(
        runtime::kafka::group_consumer_config(&kafka, GROUP_ID).create_with_context(
            ProcessorContext {
                events: events_tx,
                topic: topics.commands.clone(),
            },
        )?,
    );
    consumer.subscribe(&[&topics.commands])?;
    let writer = Writer::new(
        runtime::kafka::producer(&kafka)?,
        topics.events.clone(),
        topics.replies.clone(),
    );
    let expiry = expiry::ExpiryTicker::from_env(&kafka)?;
    tracing::info!(%owner, topic = %topics.commands, "command processor started");

    let mut assigned: HashSet<i32> = HashSet::new();
    let mut workers: HashMap<i32, Worker> = HashMap::new();
    let mut takeovers: JoinSet<TakeoverResult> = JoinSet::new();
    let mut running: JoinSet<(i32, Result<(), PartitionError>)> = JoinSet::new();

    loop {
        metrics::gauge!("agora_processor_partitions_owned").set(workers.len() as f64);
        tokio::select! {
            () = shutdown.wait() => break,
            Some(event) = rebalances.recv() => match event {
                RebalanceEvent::Assigned(partitions) => {
                    for partition in partitions {
                        assigned.insert(partition);
                        let (kafka, writer, consumer, owner) =
                            (kafka.clone(), writer.clone(), Arc::clone(&consumer), owner.clone());
                        takeovers.spawn(async move {
                            let result = OwnedPartition::take_over(partition, &owner, &kafka, writer, consumer, append_delay).await;
                            (partition, result)
                        });
                    }
                    readiness.set(!assigned.is_empty());
                }
                RebalanceEvent::Revoked(partitions) => {
                    for partition in partitions {
                        assigned.remove(&partition);
                        // Dropping the sender lets the worker finish its batch and stop.
                        workers.remove(&partition);
                        tracing::info!(partition, "partition revoked");
                    }
                }
            },
            Some(joined) = takeovers.join_next() => {
                let Ok((partition, result)) = joined else { continue };
                match result {
                    Ok((owned, committed)) if assigned.contains(&partition) && !workers.contains_key(&partition) => {
                        let resume_at = match committed {
                            Offset::Offset(offset) => Offset::Offset(offset),
                            _ => Offset::Beginning,
                        };
                        if let Err(error) = consumer.seek(&topics.commands, partition, resume_at, Duration::from_secs(5)) {
                            tracing::error!(partition, %error, "seek failed; partition stays paused");
                            continue;
                        }
                        let mut list = TopicPartitionList::new();
                        list.add_partition(&topics.commands, partition);
                        if let Err(error) = consumer.resume(&list) {
                            tracing::error!(partition, %error, "resume failed");
                            continue;
                        }
                        let (tx, rx) = mpsc::channel(2 * partition::MAX_BATCH);
                        let expiry = expiry.clone();
                        running.spawn(async move { (partition, owned.run(rx, expiry).await) });
                        workers.insert(partition, Worker { commands: tx });
                    }
                    Ok(_) => tracing::info!(partition, "takeover finished after the partition moved on"),
                    Err(error) => tracing::error!(partition, %error, "takeover failed; waiting for the next rebalance"),
                }
            },
            Some(finished) = running.join_next() => {
                if let Ok((partition, result)) = finished {
                    workers.remove(&partition);
                    let mut list = TopicPartitionList::new();
                    list.add_partition(&topics.commands, partition);
                    let _ = consumer.pause(&list);
                    match result {
                        Ok(()) => tracing::info!(partition, "partition worker stopped"),
                        Err(PartitionError::Fenced { marker }) => tracing::warn!(
                            partition, marker, "fenced by a newer owner: late writes acknowledged to nobody, partition given up"
                        ),
                        Err(error) => tracing::error!(partition, %error, "partition worker failed; partition given up until the next rebalance"),
                    }
                }
            },
            received = consumer.recv() => match received {
                Ok(message) => {
                    if let Some(worker) = workers.get(&message.partition()) {
                        // Backpressure: wait while the worker's queue is full.
                        let _ = worker.commands.send(message.detach()).await;
                    }
                }
                Err(error) => tracing::warn!(%error, "command consumer error"),
            },
        }
    }

    tracing::info!("draining partition workers");
    workers.clear();
    while let Some(finished) = running.join_next().await {
        if let Ok((partition, Err(error))) = finished {
            tracing::warn!(partition, %error, "partition worker ended with an error during shutdown");
        }
    }
    takeovers.abort_all();
    Ok(())
}
