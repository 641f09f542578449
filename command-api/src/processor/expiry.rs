//! The reservation expiry ticker of a partition worker.
//!
//! Expiry is explicit (DESIGN.md): inventory keeps `expires_at` per reservation, and the owner of
//! a partition asks its own due streams to expire by producing `ExpireReservations {now}` to its
//! own commands partition, which it then decides like any other command. The [`DueIndex`] is
//! fed by the records the worker reads back (the same path that changes its state), so it
//! knows every held reservation of the partition without scanning aggregate states.
//!
//! Every `AGORA_EXPIRY_TICK_MS` (default 1000; read here because only the ticker uses it) the
//! worker lists the due streams and hands the commands to a spawned task, so producing never
//! blocks the batch loop. Command ids are derived from the stream and the tick's time bucket:
//! a new owner ticking in the same bucket sends the same command, answered once.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use domain::inventory::{InventoryCommand, InventoryEvent, InventoryItem};
use rdkafka::{error::KafkaError, producer::FutureRecord, util::Timeout};
use runtime::config::{ConfigError, KafkaConfig, env_millis};
use schemas::Commit;
use uuid::Uuid;

use crate::wire::CommandEnvelope;

/// Actor of the commands the ticker sends.
pub const ACTOR: &str = "system:expiry-ticker";

/// Namespace of the ticker's command ids.
const EXPIRY_NAMESPACE: Uuid = Uuid::from_u128(0x6578_7069_7279_4000_8000_0000_0000_0001);

/// Why the ticker could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ExpiryError {
    /// `AGORA_EXPIRY_TICK_MS` is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The producer could not be created.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
}

/// Held reservations of one partition's inventory streams: stream → (order, line) → expiry.
#[derive(Debug, Default)]
pub struct DueIndex {
    held: HashMap<String, HashMap<(Uuid, u32), DateTime<Utc>>>,
}

impl DueIndex {
    /// Updates the index from a counted commit read back from the log.
    pub fn observe(&mut self, commit: &Commit) {
        if domain::stream::kind_of(&commit.stream) != Some(domain::inventory::KIND) {
            return;
        }
        for envelope in &commit.events {
            // Undecodable events already failed the state's apply; nothing to learn here.
            let Ok(event) = schemas::decode_event::<InventoryItem>(envelope) else {
                continue;
            };
            match event {
                InventoryEvent::StockReserved {
                    order_id,
                    line,
                    expires_at,
                    ..
                } => {
                    self.held
                        .entry(commit.stream.clone())
                        .or_default()
                        .insert((order_id, line), expires_at);
                }
                InventoryEvent::ReservationReleased { order_id, line, .. }
                | InventoryEvent::StockCommitted { order_id, line, .. }
                | InventoryEvent::ReservationExpired { order_id, line, .. } => {
                    if let Some(held) = self.held.get_mut(&commit.stream) {
                        held.remove(&(order_id, line));
                        if held.is_empty() {
                            self.held.remove(&commit.stream);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Streams holding a reservation with `expires_at <= now`, sorted.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut due: Vec<String> = self
            .held
            .iter()
            .filter(|(_, held)| held.values().any(|expires_at| *expires_at <= now))
            .map(|(stream, _)| stream.clone())
            .collect();
        due.sort();
        due
    }
}

/// Produces `ExpireReservations` for due streams; cheap to clone (one producer per processor).
#[derive(Clone)]
pub struct ExpiryTicker {
    producer: runtime::kafka::Producer,
    topic: String,
    /// Time between two looks at the index.
    pub tick: Duration,
}

impl ExpiryTicker {
    /// A ticker producing to the commands topic of `kafka`, ticking every
    /// `AGORA_EXPIRY_TICK_MS` (default 1000).
    pub fn from_env(kafka: &KafkaConfig) -> Result<Self, ExpiryError> {
        Ok(Self {
            producer: runtime::kafka::producer(kafka)?,
            topic: kafka.topics().commands,
            tick: env_millis("AGORA_EXPIRY_TICK_MS", Duration::from_secs(1))?
                .max(Duration::from_millis(10)),
        })
    }

    /// The worker's tick source; a late tick is skipped rather than bunched.
    pub fn interval(&self) -> tokio::time::Interval {
        let mut interval = tokio::time::interval(self.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        interval
    }

    /// Sends `ExpireReservations` for every due stream of `partition` from a spawned task.
    /// The commands go to the same partition number of the commands topic: commands and events
    /// share the partitioner and the count, so that is where these streams' commands live.
    pub fn issue(&self, partition: i32, index: &DueIndex) {
        let now = Utc::now();
        let due = index.due(now);
        if due.is_empty() {
            return;
        }
        let envelopes: Vec<CommandEnvelope> = due
            .iter()
            .map(|stream| expire_command(stream, now, self.tick))
            .collect();
        let (producer, topic) = (self.producer.clone(), self.topic.clone());
        tokio::spawn(async move {
            for envelope in envelopes {
                let Ok(payload) = serde_json::to_vec(&envelope) else {
                    continue; // a plain struct of strings and uuids: cannot fail to encode
                };
                let sent = producer
                    .send(
                        FutureRecord::to(&topic)
                            .partition(partition)
                            .key(&envelope.stream)
                            .payload(&payload),
                        Timeout::Never,
                    )
                    .await;
                if let Err((error, _)) = sent {
                    // The next tick asks again: the reservation is still due.
                    tracing::warn!(partition, stream = %envelope.stream, %error, "could not send ExpireReservations");
                }
            }
        });
    }
}

/// The `ExpireReservations` command for `stream` at `now`; its id depends only on the stream
/// and the tick bucket `now` falls in.
pub fn expire_command(stream: &str, now: DateTime<Utc>, tick: Duration) -> CommandEnvelope {
    let bucket = now.timestamp_millis() / (tick.as_millis().max(1) as i64);
    let command_id = Uuid::new_v5(
        &EXPIRY_NAMESPACE,
        format!("expire|{stream}|{}|{bucket}", tick.as_millis()).as_bytes(),
    );
    // Proven infallible: a unit-like enum variant with one timestamp field.
    let command = serde_json::to_value(InventoryCommand::ExpireReservations { now })
        .unwrap_or(serde_json::Value::Null);
    CommandEnvelope {
        command_id,
        stream: stream.to_string(),
        command,
        actor: ACTOR.to_string(),
        correlation_id: command_id,
        causation_id: command_id,
        request_hash: None,
        issued_at: now,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use schemas::EventEnvelope;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
    }

    fn commit(stream: &str, events: &[InventoryEvent]) -> Commit {
        Commit {
            stream: stream.into(),
            from_version: 1,
            epoch: 0,
            command_id: Uuid::nil(),
            request_hash: None,
            accepted_at: at(0),
            events: events
                .iter()
                .enumerate()
                .map(|(i, event)| {
                    let (event_type, schema, data) =
                        schemas::encode_event::<InventoryItem>(event).unwrap();
                    EventEnvelope {
                        event_id: Uuid::now_v7(),
                        stream: stream.into(),
                        version: i as u64 + 1,
                        event_type,
                        schema,
                        occurred_at: at(0),
                        command_id: Uuid::nil(),
                        correlation_id: Uuid::nil(),
                        causation_id: Uuid::nil(),
                        actor: "tests".into(),
                        data,
                    }
                })
                .collect(),
        }
    }

    fn reserved(order: u128, expires_at: DateTime<Utc>) -> InventoryEvent {
        InventoryEvent::StockReserved {
            order_id: Uuid::from_u128(order),
            line: 1,
            quantity: 1,
            expires_at,
            on_hand: 5,
            reserved: 1,
        }
    }

    #[test]
    fn a_stream_is_due_once_one_of_its_held_reservations_reaches_its_expiry() {
        let mut index = DueIndex::default();
        index.observe(&commit("inventory-A", &[reserved(1, at(10))]));
        index.observe(&commit("inventory-B", &[reserved(2, at(20))]));
        assert!(index.due(at(9)).is_empty());
        assert_eq!(index.due(at(10)), ["inventory-A"]);
        assert_eq!(index.due(at(30)), ["inventory-A", "inventory-B"]);
    }

    #[test]
    fn released_committed_or_expired_reservations_are_no_longer_due() {
        let mut index = DueIndex::default();
        index.observe(&commit(
            "inventory-A",
            &[reserved(1, at(10)), reserved(2, at(10))],
        ));
        index.observe(&commit(
            "inventory-A",
            &[InventoryEvent::ReservationReleased {
                order_id: Uuid::from_u128(1),
                line: 1,
                quantity: 1,
                on_hand: 5,
                reserved: 1,
            }],
        ));
        assert_eq!(index.due(at(10)), ["inventory-A"]);
        index.observe(&commit(
            "inventory-A",
            &[InventoryEvent::ReservationExpired {
                order_id: Uuid::from_u128(2),
                line: 1,
                quantity: 1,
                expires_at: at(10),
                on_hand: 5,
                reserved: 0,
            }],
        ));
        assert!(index.due(at(60)).is_empty());
    }

    #[test]
    fn commits_of_other_aggregates_are_ignored() {
        let mut index = DueIndex::default();
        let mut order_commit = commit("inventory-A", &[reserved(1, at(10))]);
        order_commit.stream = "order-1".into();
        index.observe(&order_commit);
        assert!(index.due(at(60)).is_empty());
    }

    #[test]
    fn expire_commands_share_an_id_within_a_tick_bucket_and_differ_across_buckets() {
        let tick = Duration::from_secs(1);
        let first = expire_command("inventory-A", at(10), tick);
        let same_bucket = expire_command(
            "inventory-A",
            at(10) + chrono::Duration::milliseconds(400),
            tick,
        );
        let next_bucket = expire_command("inventory-A", at(11), tick);
        let other_stream = expire_command("inventory-B", at(10), tick);
        assert_eq!(first.command_id, same_bucket.command_id);
        assert_ne!(first.command_id, next_bucket.command_id);
        assert_ne!(first.command_id, other_stream.command_id);
        let decoded: InventoryCommand = serde_json::from_value(first.command).unwrap();
        assert_eq!(
            decoded,
            InventoryCommand::ExpireReservations { now: at(10) }
        );
    }
}
