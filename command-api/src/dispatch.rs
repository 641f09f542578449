//! Sending commands to the processors and awaiting their replies.
//!
//! Every API instance reads every partition of `agora.replies` from where it stood at startup;
//! a reply wakes the request waiting on its command id. A request that waits longer than the
//! configured bound gets `202 Accepted` with the command id instead: the command is in the log's
//! input and will be decided.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer, StreamConsumer},
    producer::FutureRecord,
    util::Timeout,
};
use runtime::{config::KafkaConfig, shutdown::Shutdown};
use tokio::{sync::oneshot, task::JoinHandle};
use uuid::Uuid;

use crate::wire::{CommandEnvelope, Reply};

type Waiters = Arc<Mutex<HashMap<Uuid, Vec<oneshot::Sender<Reply>>>>>;

/// What became of a dispatched command.
#[derive(Debug)]
pub enum Dispatched {
    /// The processor answered.
    Answered(Reply),
    /// No answer within the bound; the command is queued and will be decided.
    Pending,
}

/// Sends commands and matches replies.
#[derive(Clone)]
pub struct Dispatcher {
    producer: runtime::kafka::Producer,
    commands_topic: String,
    partitions: i32,
    waiters: Waiters,
    timeout: Duration,
    /// The reply listener's task, taken by the first [`Dispatcher::drained`].
    listener: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Dispatcher {
    /// Connects to the broker and starts listening for replies (returns once positioned).
    pub async fn start(
        kafka: &KafkaConfig,
        timeout: Duration,
        shutdown: Shutdown,
    ) -> anyhow::Result<Self> {
        let topics = kafka.topics();
        let partitions = runtime::kafka::partition_count(kafka, &topics.commands)?;
        let reply_partitions = runtime::kafka::partition_count(kafka, &topics.replies)?;
        let waiters: Waiters = Arc::default();
        let listener = reply_listener(kafka, &topics.replies, reply_partitions)?;
        let listener = tokio::spawn(listen(listener, Arc::clone(&waiters), shutdown));
        Ok(Self {
            producer: runtime::kafka::producer(kafka)?,
            commands_topic: topics.commands,
            partitions,
            waiters,
            timeout,
            listener: Arc::new(Mutex::new(Some(listener))),
        })
    }

    /// Completes once the reply listener has stopped (after shutdown was triggered) and its
    /// consumer is closed. Awaiting it before the runtime goes away means the consumer is never
    /// torn down by the runtime's drop at process exit, while librdkafka's threads still run.
    pub async fn drained(&self) {
        // Taken out of the lock before awaiting: the guard is never held across the wait.
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(listener) = listener
            && let Err(error) = listener.await
        {
            tracing::warn!(%error, "reply listener ended abnormally");
        }
    }

    /// Partition count of the commands (and events) topic.
    pub fn partitions(&self) -> i32 {
        self.partitions
    }

    /// Sends `command` and waits (bounded) for its reply.
    pub async fn dispatch(
        &self,
        command: &CommandEnvelope,
        traceparent: Option<&str>,
    ) -> anyhow::Result<Dispatched> {
        let (tx, rx) = oneshot::channel();
        self.lock().entry(command.command_id).or_default().push(tx);
        let result = self.send_and_wait(command, traceparent, rx).await;
        if !matches!(result, Ok(Dispatched::Answered(_))) {
            self.lock().remove(&command.command_id);
        }
        result
    }

    async fn send_and_wait(
        &self,
        command: &CommandEnvelope,
        traceparent: Option<&str>,
        rx: oneshot::Receiver<Reply>,
    ) -> anyhow::Result<Dispatched> {
        let payload = serde_json::to_vec(command)?;
        let partition = runtime::kafka::partition_for(&command.stream, self.partitions);
        let mut record = FutureRecord::to(&self.commands_topic)
            .partition(partition)
            .key(&command.stream)
            .payload(&payload);
        let headers;
        if let Some(traceparent) = traceparent {
            headers = rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
                key: schemas::log_record::HEADER_TRACEPARENT,
                value: Some(traceparent),
            });
            record = record.headers(headers);
        }
        self.producer
            .send(record, Timeout::After(self.timeout))
            .await
            .map_err(|(error, _)| anyhow::anyhow!("producing the command: {error}"))?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(reply)) => Ok(Dispatched::Answered(reply)),
            Ok(Err(_closed)) => anyhow::bail!("reply listener stopped"),
            Err(_elapsed) => Ok(Dispatched::Pending),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Vec<oneshot::Sender<Reply>>>> {
        // A poisoned map only means a waiter panicked; the map itself is still consistent.
        self.waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn reply_listener(
    kafka: &KafkaConfig,
    topic: &str,
    partitions: i32,
) -> anyhow::Result<StreamConsumer> {
    // Position explicitly at today's end of every partition, so no reply produced after
    // startup can be missed while the consumer would otherwise resolve "latest" lazily.
    let probe: BaseConsumer = runtime::kafka::assigned_consumer_config(kafka).create()?;
    let ends = runtime::kafka::high_watermarks(&probe, topic, partitions)?;
    let consumer: StreamConsumer = runtime::kafka::assigned_consumer_config(kafka).create()?;
    let mut assignment = TopicPartitionList::new();
    for (partition, end) in ends.into_iter().enumerate() {
        assignment.add_partition_offset(topic, partition as i32, Offset::Offset(end))?;
    }
    consumer.assign(&assignment)?;
    Ok(consumer)
}

async fn listen(consumer: StreamConsumer, waiters: Waiters, shutdown: Shutdown) {
    loop {
        let message = tokio::select! {
            () = shutdown.wait() => return,
            message = consumer.recv() => message,
        };
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(%error, "reply listener error");
                continue;
            }
        };
        let Some(payload) = message.payload() else {
            continue;
        };
        let reply: Reply = match serde_json::from_slice(payload) {
            Ok(reply) => reply,
            Err(error) => {
                tracing::warn!(%error, offset = message.offset(), "undecodable reply skipped");
                continue;
            }
        };
        let senders = waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&reply.command_id);
        for sender in senders.into_iter().flatten() {
            let _ = sender.send(reply.clone());
        }
    }
}
