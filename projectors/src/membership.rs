//! Which partitions of the events topic this projector process projects.
//!
//! Projector replicas of one deployment form a consumer group on the events topic that only
//! *spreads* partitions: the member consumer pauses everything it is assigned, so it never
//! fetches a record, and positions stay where they always were, in the stores (Postgres
//! checkpoints, ClickHouse read-back). Every projection loop reads the owned partitions with its
//! own [`runtime::log::LogReader`] from its own checkpoints, and starts over from the
//! checkpoints when the owned set changes ([`Assignment`]).
//!
//! A rebalance may leave two replicas reading one partition for a moment (the old owner
//! finishing its batch while the new one starts). That costs work, never correctness: every
//! Postgres checkpoint moves by a conditional update and every ClickHouse write is idempotent,
//! so the second writer of a batch changes nothing.
//!
//! The member is polled on a blocking thread every [`POLL`], which serves rebalances and keeps
//! it within `max.poll.interval.ms`; on shutdown it leaves the group, so the other replicas take
//! its partitions over at once rather than after the session timeout.

use std::{collections::BTreeSet, future, time::Duration};

use rdkafka::{
    ClientContext, TopicPartitionList,
    consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance},
    error::KafkaError,
};
use runtime::{config::KafkaConfig, shutdown::Shutdown};
use tokio::sync::watch;

/// How long one poll of the member waits for group events.
pub const POLL: Duration = Duration::from_millis(100);

/// The default group of a deployment: one per topic prefix, so test namespaces (and several
/// deployments sharing a broker under different prefixes) never rebalance each other.
pub fn default_group(kafka: &KafkaConfig) -> String {
    format!("{}agora-projectors", kafka.topic_prefix)
}

/// Which partitions a projection loop reads.
#[derive(Debug, Clone)]
pub enum Assignment {
    /// Every partition of the topic: rebuilds, replays, checks and benchmarks, which are not
    /// group members and must see the whole log.
    All,
    /// The partitions this process's group member owns right now.
    Owned(watch::Receiver<BTreeSet<i32>>),
}

impl Assignment {
    /// The partitions to read now, out of `partitions`; marks this set as seen by
    /// [`changed`](Self::changed).
    pub fn current(&mut self, partitions: i32) -> BTreeSet<i32> {
        match self {
            Self::All => (0..partitions).collect(),
            Self::Owned(owned) => owned.borrow_and_update().clone(),
        }
    }

    /// Completes once the owned set differs from the one [`current`](Self::current) returned.
    /// Never completes for [`Assignment::All`], nor after the member stopped (shutdown).
    /// Cancel-safe: it can sit in a `select!` beside a read.
    pub async fn changed(&mut self) {
        match self {
            Self::All => future::pending().await,
            Self::Owned(owned) => {
                if owned.changed().await.is_err() {
                    future::pending().await
                }
            }
        }
    }
}

/// Pauses what the group assigns, the moment it is assigned: the member never fetches.
struct PausingContext;

impl ClientContext for PausingContext {}

impl ConsumerContext for PausingContext {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                if let Err(error) = consumer.pause(list) {
                    tracing::error!(%error, "could not pause newly assigned partitions");
                }
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(error) => tracing::warn!(%error, "projector group rebalance failed"),
        }
    }
}

/// This process's member of the projector group.
pub struct Membership {
    consumer: BaseConsumer<PausingContext>,
    topic: String,
    group: String,
    owned: watch::Sender<BTreeSet<i32>>,
}

impl Membership {
    /// Subscribes a member of `group` to `topic`; the group assigns partitions once
    /// [`run`](Self::run) polls it. Returns the member and the owned set (empty until then).
    pub fn join(
        kafka: &KafkaConfig,
        topic: &str,
        group: &str,
    ) -> Result<(Self, Assignment), KafkaError> {
        let consumer: BaseConsumer<PausingContext> =
            runtime::kafka::group_consumer_config(kafka, group)
                // Nothing is ever fetched on purpose; keep what a stray fetch could buffer small.
                .set("queued.max.messages.kbytes", "64")
                .create_with_context(PausingContext)?;
        consumer.subscribe(&[topic])?;
        let (owned, receiver) = watch::channel(BTreeSet::new());
        Ok((
            Self {
                consumer,
                topic: topic.to_string(),
                group: group.to_string(),
                owned,
            },
            Assignment::Owned(receiver),
        ))
    }

    /// Polls the member until shutdown, publishing every change of the owned set, then leaves
    /// the group. Blocking: run it on a blocking thread.
    pub fn run(self, shutdown: Shutdown) {
        tracing::info!(group = %self.group, topic = %self.topic, "joining the projector group");
        metrics::gauge!("agora_projector_partitions_owned").set(0.0);
        while !shutdown.is_triggered() {
            if let Some(Ok(message)) = self.consumer.poll(POLL) {
                // Cannot happen while every assigned partition is paused; if the broker
                // delivers anyway, pause again and drop it (the projections read for themselves).
                self.pause_partition(&message);
            }
            match self.consumer.assignment() {
                Ok(assignment) => self.publish(partitions_of(&assignment, &self.topic)),
                Err(error) => tracing::warn!(%error, "could not read the group assignment"),
            }
        }
        self.owned.send_replace(BTreeSet::new());
        metrics::gauge!("agora_projector_partitions_owned").set(0.0);
        tracing::info!(group = %self.group, "leaving the projector group");
        // Dropping the consumer closes it: a LeaveGroup, so the others rebalance at once.
    }

    fn publish(&self, partitions: BTreeSet<i32>) {
        let changed = self.owned.send_if_modified(|owned| {
            if *owned == partitions {
                return false;
            }
            *owned = partitions.clone();
            true
        });
        if changed {
            metrics::gauge!("agora_projector_partitions_owned").set(partitions.len() as f64);
            tracing::info!(
                group = %self.group,
                partitions = ?partitions,
                "projector partitions changed"
            );
        }
    }

    fn pause_partition(&self, message: &rdkafka::message::BorrowedMessage<'_>) {
        use rdkafka::Message;
        let mut list = TopicPartitionList::new();
        list.add_partition(message.topic(), message.partition());
        if let Err(error) = self.consumer.pause(&list) {
            tracing::warn!(%error, partition = message.partition(), "could not pause a partition");
        }
    }
}

/// The partitions of `topic` in `list`.
fn partitions_of(list: &TopicPartitionList, topic: &str) -> BTreeSet<i32> {
    list.elements()
        .iter()
        .filter(|element| element.topic() == topic)
        .map(|element| element.partition())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_partitions_are_read_when_not_a_group_member() {
        let mut assignment = Assignment::All;
        assert_eq!(assignment.current(3), BTreeSet::from([0, 1, 2]));
        let waited = tokio::time::timeout(Duration::from_millis(20), assignment.changed()).await;
        assert!(waited.is_err(), "the whole topic never changes");
    }

    #[tokio::test]
    async fn a_change_of_the_owned_set_is_seen_once() {
        let (sender, receiver) = watch::channel(BTreeSet::from([0, 1]));
        let mut assignment = Assignment::Owned(receiver);
        assert_eq!(assignment.current(4), BTreeSet::from([0, 1]));
        sender.send_replace(BTreeSet::from([1]));
        tokio::time::timeout(Duration::from_secs(1), assignment.changed())
            .await
            .expect("the change is seen");
        assert_eq!(assignment.current(4), BTreeSet::from([1]));
        let again = tokio::time::timeout(Duration::from_millis(20), assignment.changed()).await;
        assert!(again.is_err(), "a seen set does not count as a change");
    }

    #[test]
    fn only_the_events_topic_counts() {
        let mut list = TopicPartitionList::new();
        list.add_partition("x.agora.events", 2);
        list.add_partition("x.agora.events", 0);
        list.add_partition("other", 1);
        assert_eq!(
            partitions_of(&list, "x.agora.events"),
            BTreeSet::from([0, 2])
        );
    }
}
