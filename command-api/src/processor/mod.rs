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
use runtime::{config::KafkaConfig, health::Readiness, shutdown::Shutdown};

use crate::config::ProcessorConfig;
use tokio::{sync::mpsc, task::JoinSet};

use self::{
    partition::{OwnedPartition, PartitionError},
    writer::Writer,
};

/// Group id shared by every processor instance, after the deployment's topic prefix.
pub const GROUP_ID: &str = "agora-command-processors";

/// The processors' consumer group of one deployment: prefixed like its topics, so deployments
/// (and test namespaces) sharing a broker never rebalance each other's members.
pub fn group_id(kafka: &KafkaConfig) -> String {
    format!("{}{GROUP_ID}", kafka.topic_prefix)
}

/// Pause before a failed takeover (or a failed seek or worker) of a partition this instance
/// still owns is tried again: without a retry the partition would stay paused until the next
/// rebalance, which may never come.
const TAKEOVER_RETRY: Duration = Duration::from_secs(1);

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

impl ClientContext for ProcessorContext {
    fn stats(&self, statistics: rdkafka::statistics::Statistics) {
        runtime::kafka_stats::export(&statistics);
    }
}

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

/// Starts takeovers and remembers the latest one per partition.
///
/// Every takeover appends a new ownership marker, so the latest takeover of a partition fences
/// every earlier one of this instance: only its result may become the partition's worker, and
/// only that worker's end may be acted upon. Tokens tell them apart.
struct Takeover {
    owner: String,
    kafka: KafkaConfig,
    writer: Writer,
    consumer: Arc<StreamConsumer<ProcessorContext>>,
    append_delay: Duration,
    latest: HashMap<i32, u64>,
    next_token: u64,
}

impl Takeover {
    /// Whether `token` is the latest takeover started for `partition`.
    fn is_latest(&self, partition: i32, token: u64) -> bool {
        self.latest.get(&partition) == Some(&token)
    }

    /// Takes `partition` over (again) after `delay`, off the main loop.
    fn start(&mut self, takeovers: &mut JoinSet<TakeoverResult>, partition: i32, delay: Duration) {
        self.next_token += 1;
        let token = self.next_token;
        self.latest.insert(partition, token);
        let (owner, kafka, writer, consumer, append_delay) = (
            self.owner.clone(),
            self.kafka.clone(),
            self.writer.clone(),
            Arc::clone(&self.consumer),
            self.append_delay,
        );
        takeovers.spawn(async move {
            tokio::time::sleep(delay).await;
            let result = OwnedPartition::take_over(
                partition,
                &owner,
                &kafka,
                writer,
                consumer,
                append_delay,
            )
            .await;
            (partition, token, result)
        });
    }
}

/// A finished takeover: the partition, its token and the owned state with its resume offset.
type TakeoverResult = (i32, u64, Result<(OwnedPartition, Offset), PartitionError>);

/// A partition worker's end: the partition, its takeover's token and how it ended.
type WorkerResult = (i32, u64, Result<(), PartitionError>);

struct Worker {
    commands: mpsc::Sender<OwnedMessage>,
    token: u64,
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
        runtime::kafka::enable_stats(&mut runtime::kafka::group_consumer_config(
            &kafka,
            &group_id(&kafka),
        ))
        .create_with_context(ProcessorContext {
            events: events_tx,
            topic: topics.commands.clone(),
        })?,
    );
    consumer.subscribe(&[&topics.commands])?;
    readiness.probe_broker(&kafka, topics.commands.clone());
    readiness.report("group", Err("not joined yet".into()));
    let writer = Writer::new(
        runtime::kafka::producer(&kafka)?,
        topics.events.clone(),
        topics.replies.clone(),
    );
    let expiry = expiry::ExpiryTicker::from_env(&kafka)?;
    tracing::info!(%owner, topic = %topics.commands, "command processor started");

    let mut takeover = Takeover {
        owner: owner.clone(),
        kafka: kafka.clone(),
        writer: writer.clone(),
        consumer: Arc::clone(&consumer),
        append_delay,
        latest: HashMap::new(),
        next_token: 0,
    };
    let mut assigned: HashSet<i32> = HashSet::new();
    let mut workers: HashMap<i32, Worker> = HashMap::new();
    let mut takeovers: JoinSet<TakeoverResult> = JoinSet::new();
    let mut running: JoinSet<WorkerResult> = JoinSet::new();

    loop {
        metrics::gauge!("agora_processor_partitions_owned").set(workers.len() as f64);
        tokio::select! {
            () = shutdown.wait() => break,
            Some(event) = rebalances.recv() => match event {
                RebalanceEvent::Assigned(partitions) => {
                    for partition in partitions {
                        assigned.insert(partition);
                        takeover.start(&mut takeovers, partition, Duration::ZERO);
                    }
                    // Joined, even with nothing assigned: a standby beyond the partition
                    // count is as ready as it can be.
                    readiness.report("group", Ok(()));
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
                let Ok((partition, token, result)) = joined else { continue };
                if !takeover.is_latest(partition, token) {
                    tracing::info!(partition, "an earlier takeover finished after a newer one started; ignored");
                    continue;
                }
                match result {
                    // A worker still running here came from an earlier takeover, which this
                    // one's marker fences: it is replaced (dropping its queue stops it).
                    Ok((owned, committed)) if assigned.contains(&partition) => {
                        let resume_at = match committed {
                            Offset::Offset(offset) => Offset::Offset(offset),
                            _ => Offset::Beginning,
                        };
                        if let Err(error) = consumer.seek(&topics.commands, partition, resume_at, Duration::from_secs(5)) {
                            tracing::error!(partition, %error, retry_in = ?TAKEOVER_RETRY, "seek failed; taking the partition over again");
                            takeover.start(&mut takeovers, partition, TAKEOVER_RETRY);
                            continue;
                        }
                        let mut list = TopicPartitionList::new();
                        list.add_partition(&topics.commands, partition);
                        if let Err(error) = consumer.resume(&list) {
                            tracing::error!(partition, %error, retry_in = ?TAKEOVER_RETRY, "resume failed; taking the partition over again");
                            takeover.start(&mut takeovers, partition, TAKEOVER_RETRY);
                            continue;
                        }
                        let (tx, rx) = mpsc::channel(2 * partition::MAX_BATCH);
                        let expiry = expiry.clone();
                        running.spawn(async move { (partition, token, owned.run(rx, expiry).await) });
                        workers.insert(partition, Worker { commands: tx, token });
                    }
                    Ok(_) => tracing::info!(partition, "takeover finished after the partition moved on"),
                    Err(error) if assigned.contains(&partition) => {
                        tracing::error!(partition, %error, retry_in = ?TAKEOVER_RETRY, "takeover failed; trying again");
                        takeover.start(&mut takeovers, partition, TAKEOVER_RETRY);
                    }
                    Err(error) => tracing::error!(partition, %error, "takeover failed after the partition moved on"),
                }
            },
            Some(finished) = running.join_next() => {
                if let Ok((partition, token, result)) = finished {
                    if workers.get(&partition).is_none_or(|worker| worker.token != token) {
                        tracing::info!(partition, "a replaced partition worker stopped");
                        continue;
                    }
                    workers.remove(&partition);
                    let mut list = TopicPartitionList::new();
                    list.add_partition(&topics.commands, partition);
                    let _ = consumer.pause(&list);
                    match result {
                        Ok(()) => tracing::info!(partition, "partition worker stopped"),
                        Err(PartitionError::Fenced { marker }) if assigned.contains(&partition) => {
                            // The group still says this instance owns it: the fencing owner is
                            // a member the group has not yet noticed is gone. Take it back;
                            // a live owner would be revoked from one of us by the group.
                            tracing::warn!(partition, marker, retry_in = ?TAKEOVER_RETRY, "fenced while still assigned: late writes acknowledged to nobody; taking the partition over again");
                            takeover.start(&mut takeovers, partition, TAKEOVER_RETRY);
                        }
                        Err(PartitionError::Fenced { marker }) => tracing::warn!(
                            partition, marker, "fenced by a newer owner: late writes acknowledged to nobody, partition given up"
                        ),
                        Err(error) if assigned.contains(&partition) => {
                            // A new takeover appends a new marker: whatever the failed worker
                            // left half-done is fenced and re-read from the log.
                            tracing::error!(partition, %error, retry_in = ?TAKEOVER_RETRY, "partition worker failed; taking the partition over again");
                            takeover.start(&mut takeovers, partition, TAKEOVER_RETRY);
                        }
                        Err(error) => tracing::error!(partition, %error, "partition worker failed after the partition moved on"),
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

    readiness.report("group", Err("shutting down".into()));
    tracing::info!("draining partition workers");
    workers.clear();
    while let Some(finished) = running.join_next().await {
        if let Ok((partition, _, Err(error))) = finished {
            tracing::warn!(partition, %error, "partition worker ended with an error during shutdown");
        }
    }
    takeovers.abort_all();
    Ok(())
}
