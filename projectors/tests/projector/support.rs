//! Writing the events log by hand as command processors do: markers, commits, zombie commits
//! and poison records.

use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use domain::Aggregate;
use rdkafka::{
    message::{Header, OwnedHeaders},
    producer::FutureRecord,
};
use runtime::{
    kafka,
    log::{LogItem, LogReader, PartitionStart},
    testing::TestNamespace,
};
use schemas::{Commit, EventEnvelope, LogRecord, OwnershipMarker, log_record};
use uuid::Uuid;

pub use crate::{
    model::Model,
    observe::{ch, dead_letters, free_port, pg, positions, spawn_projector, wait_caught_up},
};

/// A record ready to produce.
#[derive(Debug, Clone)]
pub struct Pending {
    pub partition: i32,
    pub key: String,
    pub kind: &'static str,
    pub stream: String,
    pub payload: Vec<u8>,
    /// Event ids it carries, with their types.
    pub events: Vec<(Uuid, String)>,
}

/// Writes the events log of one namespace the way command processors do.
pub struct Log {
    pub producer: runtime::kafka::Producer,
    pub topic: String,
    pub partitions: i32,
    epochs: HashMap<i32, i64>,
    versions: HashMap<String, u64>,
    /// Next offset after the last record delivered to each partition.
    ends: HashMap<i32, i64>,
}

impl Log {
    /// Opens the log and takes ownership of every partition (one marker each).
    pub async fn open(ns: &TestNamespace) -> Self {
        let topic = ns.kafka.topics().events;
        let mut log = Self {
            producer: kafka::producer(&ns.kafka).expect("producer"),
            partitions: ns.kafka.partitions,
            topic,
            epochs: HashMap::new(),
            versions: HashMap::new(),
            ends: HashMap::new(),
        };
        for partition in 0..log.partitions {
            log.marker(partition).await;
        }
        log
    }

    /// The current epoch of `partition` (offset of its latest marker).
    pub fn epoch(&self, partition: i32) -> i64 {
        self.epochs[&partition]
    }

    /// The partition `stream` lives in.
    pub fn partition_of(&self, stream: &str) -> i32 {
        kafka::partition_for(stream, self.partitions)
    }

    /// Appends an ownership marker to `partition`; its offset becomes the partition's epoch.
    pub async fn marker(&mut self, partition: i32) -> i64 {
        let record = LogRecord::Marker(OwnershipMarker {
            owner: "test-processor".into(),
            written_at: Utc::now(),
        });
        let pending = Pending {
            partition,
            key: format!("partition-{partition}"),
            kind: "marker",
            stream: String::new(),
            payload: serde_json::to_vec(&record).expect("marker json"),
            events: vec![],
        };
        let offset = self.send(vec![pending]).await[0].1;
        self.epochs.insert(partition, offset);
        offset
    }

    /// A commit of `events` on `stream` under the partition's current epoch.
    pub fn commit<A: Aggregate>(&mut self, stream: &str, events: &[A::Event]) -> Pending {
        let epoch = self.epochs[&self.partition_of(stream)];
        let pending = self.commit_at::<A>(stream, events, epoch);
        *self.versions.entry(stream.to_string()).or_default() += events.len() as u64;
        pending
    }

    /// A commit written under `epoch` by an owner that may have been replaced (versions are not
    /// consumed: the real owner writes the same versions).
    pub fn commit_at<A: Aggregate>(
        &self,
        stream: &str,
        events: &[A::Event],
        epoch: i64,
    ) -> Pending {
        let from_version = self.versions.get(stream).copied().unwrap_or(0) + 1;
        let command_id = Uuid::now_v7();
        let envelopes: Vec<EventEnvelope> = events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let (event_type, schema, data) =
                    schemas::encode_event::<A>(event).expect("encodable event");
                envelope(
                    stream,
                    from_version + i as u64,
                    &event_type,
                    schema,
                    data,
                    command_id,
                )
            })
            .collect();
        self.commit_envelopes(stream, from_version, envelopes, epoch)
    }

    /// A commit of hand-made envelopes (for undecodable events).
    pub fn commit_envelopes(
        &self,
        stream: &str,
        from_version: u64,
        envelopes: Vec<EventEnvelope>,
        epoch: i64,
    ) -> Pending {
        let events = envelopes
            .iter()
            .map(|e| (e.event_id, e.event_type.clone()))
            .collect();
        let record = LogRecord::Commit(Commit {
            stream: stream.to_string(),
            from_version,
            epoch,
            command_id: envelopes.first().map(|e| e.command_id).unwrap_or_default(),
            request_hash: None,
            accepted_at: Utc::now(),
            events: envelopes,
        });
        Pending {
            partition: self.partition_of(stream),
            key: stream.to_string(),
            kind: "commit",
            stream: stream.to_string(),
            payload: serde_json::to_vec(&record).expect("commit json"),
            events,
        }
    }

    /// The next version `stream` would get.
    pub fn next_version(&self, stream: &str) -> u64 {
        self.versions.get(stream).copied().unwrap_or(0) + 1
    }

    /// Produces `records` (concurrently, order kept per partition) and returns their positions.
    pub async fn send(&mut self, records: Vec<Pending>) -> Vec<(i32, i64)> {
        let positions = send_with(&self.producer, &self.topic, records).await;
        self.delivered(&positions);
        positions
    }

    /// Notes records delivered by someone else (a background writer).
    pub fn delivered(&mut self, positions: &[(i32, i64)]) {
        for (partition, offset) in positions {
            let end = self.ends.entry(*partition).or_default();
            *end = (*end).max(offset + 1);
        }
    }

    /// Where the log ends, by partition, as far as this writer delivered it.
    ///
    /// Taken from delivery reports rather than the broker's high watermark: the local broker
    /// (tansu) reports the watermark per record *batch*, not per record.
    pub fn ends(&self) -> Vec<i64> {
        (0..self.partitions)
            .map(|p| self.ends.get(&p).copied().unwrap_or(0))
            .collect()
    }

    /// Produces raw bytes that are no log record at all.
    pub async fn send_raw(&mut self, partition: i32, payload: &[u8]) -> i64 {
        let delivery = self
            .producer
            .send(
                FutureRecord::<str, [u8]>::to(&self.topic)
                    .partition(partition)
                    .key("poison")
                    .payload(payload),
                Duration::from_secs(10),
            )
            .await
            .expect("delivered");
        self.delivered(&[(delivery.partition, delivery.offset)]);
        delivery.offset
    }
}

/// Produces `records` with `producer`, awaiting every delivery.
pub async fn send_with(
    producer: &runtime::kafka::Producer,
    topic: &str,
    records: Vec<Pending>,
) -> Vec<(i32, i64)> {
    let deliveries = records.iter().map(|pending| {
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: log_record::HEADER_RECORD,
                value: Some(pending.kind),
            })
            .insert(Header {
                key: log_record::HEADER_STREAM,
                value: Some(pending.stream.as_str()),
            });
        producer.send(
            FutureRecord::to(topic)
                .partition(pending.partition)
                .key(&pending.key)
                .payload(&pending.payload)
                .headers(headers),
            Duration::from_secs(30),
        )
    });
    futures::future::join_all(deliveries)
        .await
        .into_iter()
        .map(|delivery| {
            let delivery = delivery.map_err(|(error, _)| error).expect("delivered");
            (delivery.partition, delivery.offset)
        })
        .collect()
}

/// An envelope as the processor writes it.
pub fn envelope(
    stream: &str,
    version: u64,
    event_type: &str,
    schema: u32,
    data: serde_json::Value,
    command_id: Uuid,
) -> EventEnvelope {
    EventEnvelope {
        event_id: Uuid::now_v7(),
        stream: stream.to_string(),
        version,
        event_type: event_type.to_string(),
        schema,
        occurred_at: Utc::now(),
        command_id,
        correlation_id: command_id,
        causation_id: command_id,
        actor: "staff:test".into(),
        data,
    }
}

/// Every record of the namespace's events log, read under the log rules from offset 0 until
/// no record arrived for `quiet` (the local broker's high watermark cannot be trusted, see
/// [`Log::ends`]).
pub async fn scan_log(ns: &TestNamespace, quiet: Duration) -> Vec<LogItem> {
    let starts: Vec<PartitionStart> = (0..ns.kafka.partitions)
        .map(PartitionStart::beginning)
        .collect();
    let mut reader =
        LogReader::open(&ns.kafka, &ns.kafka.topics().events, &starts).expect("log reader");
    let mut items = Vec::new();
    // The first fetch after an assignment takes a while; after that, quiet means done.
    let mut wait = Duration::from_secs(10).max(quiet);
    while let Ok(item) = tokio::time::timeout(wait, reader.next()).await {
        items.push(item.expect("log record"));
        wait = quiet;
    }
    items
}

/// Where a scanned log ends: the next offset of each partition.
pub fn ends_of(items: &[LogItem], partitions: i32) -> Vec<i64> {
    (0..partitions)
        .map(|p| {
            items
                .iter()
                .filter(|item| item.partition == p)
                .map(|item| item.offset + 1)
                .max()
                .unwrap_or(0)
        })
        .collect()
}
