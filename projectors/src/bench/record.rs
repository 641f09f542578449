//! The generator's side of the log: in-memory aggregates that decide commands exactly as a
//! command processor would, and the commits those decisions become.
//!
//! [`Streams`] holds the state and version of every stream of one aggregate; [`Recorder`]
//! holds the simulated clock, the seeded randomness, each partition's epoch (the offset of the
//! ownership marker the generator wrote first) and the records waiting to be produced. A
//! command the domain refuses is a generator bug, reported as [`GenerateError::Refused`], so
//! every commit in the log is one the projections can apply.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use domain::{Aggregate, DomainError};
use schemas::{Commit, EventEnvelope, LogRecord};
use uuid::Uuid;

use super::rng::Rng;

/// Why generation stopped.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The domain refused a command the scenario believed valid.
    #[error("{stream}: {command} refused: {code} ({message})")]
    Refused {
        /// Stream addressed.
        stream: String,
        /// The command, abbreviated.
        command: String,
        /// The domain's code.
        code: &'static str,
        /// The domain's message.
        message: String,
    },
    /// An event could not be encoded (a schema registry gap).
    #[error("encoding: {0}")]
    Encode(#[from] schemas::EncodeError),
    /// A record could not be serialized.
    #[error("serializing: {0}")]
    Json(#[from] serde_json::Error),
    /// The scenario built a value the domain's value types refuse (a generator bug).
    #[error("invalid value: {0}")]
    Value(String),
    /// The producer side went away.
    #[error("the log writer stopped")]
    WriterGone,
}

/// One record ready for the producer: partition, key, payload and the headers the processor
/// sets on a commit.
#[derive(Debug, Clone)]
pub struct Produced {
    /// Events partition (`partition_for(stream)`).
    pub partition: i32,
    /// The stream id (the record key).
    pub key: String,
    /// The serialized [`LogRecord`].
    pub payload: Vec<u8>,
    /// Aggregate kind (header `agora-aggregate`).
    pub aggregate: &'static str,
    /// Event types, comma separated (header `agora-event-types`).
    pub event_types: String,
    /// Events in the commit.
    pub events: usize,
}

/// Who sends a command and why: what the processor copies into every envelope.
#[derive(Debug, Clone, Copy)]
pub struct Cause {
    /// The conversation (the journey's first command).
    pub correlation_id: Uuid,
    /// The message that caused this command.
    pub causation_id: Uuid,
    /// `user:<id>`, `staff:<id>` or `system:checkout-saga`.
    pub actor: &'static str,
    /// The customer when the actor is a user (rendered into `actor`).
    pub user: Option<Uuid>,
}

/// What was generated so far.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Events by type.
    pub by_type: BTreeMap<&'static str, u64>,
    /// Commit records.
    pub records: u64,
    /// Events in all commits.
    pub events: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Variants created (in `ProductCreated` and `VariantAdded`).
    pub variants: u64,
    /// Order lines placed.
    pub order_lines: u64,
}

impl Tally {
    /// How many events of `event_type` were generated.
    pub fn count(&self, event_type: &str) -> u64 {
        self.by_type.get(event_type).copied().unwrap_or(0)
    }
}

/// The simulated world the commits are written from.
pub struct Recorder {
    /// Seeded randomness for every choice of the scenario.
    pub rng: Rng,
    now: DateTime<Utc>,
    epochs: Vec<i64>,
    pending: Vec<Produced>,
    /// What was generated.
    pub tally: Tally,
}

impl Recorder {
    /// A recorder starting at `start` for partitions whose markers sit at `epochs`.
    pub fn new(seed: u64, start: DateTime<Utc>, epochs: Vec<i64>) -> Self {
        Self {
            rng: Rng::new(seed),
            now: start,
            epochs,
            pending: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// The simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Moves the simulated clock on by `seconds`.
    pub fn advance(&mut self, seconds: i64) {
        self.now += Duration::seconds(seconds);
    }

    /// Moves the simulated clock on by `min` plus up to `spread` seconds (people take time).
    pub fn pause(&mut self, min: i64, spread: u64) {
        let extra = self.rng.below(spread) as i64;
        self.advance(min + extra);
    }

    /// A fresh UUIDv7 at the simulated time, from the seeded randomness (so runs repeat).
    pub fn id(&mut self) -> Uuid {
        let millis = u64::try_from(self.now.timestamp_millis()).unwrap_or(0);
        let bytes = self.rng.bytes16();
        let mut random = [0u8; 10];
        random.copy_from_slice(&bytes[..10]);
        uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }

    /// Takes the records produced since the last call.
    pub fn drain(&mut self) -> Vec<Produced> {
        std::mem::take(&mut self.pending)
    }

    /// Records waiting to be produced.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn partitions(&self) -> i32 {
        i32::try_from(self.epochs.len()).unwrap_or(i32::MAX)
    }
}

/// Every stream of aggregate `A`, with its version.
pub struct Streams<A: Aggregate> {
    streams: HashMap<String, (u64, A)>,
}

impl<A: Aggregate> Default for Streams<A> {
    fn default() -> Self {
        Self {
            streams: HashMap::new(),
        }
    }
}

impl<A: Aggregate> Streams<A> {
    /// The state of `stream` (default when it does not exist yet).
    pub fn get(&self, stream: &str) -> Option<&A> {
        self.streams.get(stream).map(|(_, state)| state)
    }

    /// Decides `command` on `stream`, evolves the state, and records one commit holding the
    /// events (none when the decision was a no-op, as the processor's idempotent repeats are).
    /// Returns the ids of the events written.
    pub fn execute(
        &mut self,
        recorder: &mut Recorder,
        stream: &str,
        command: A::Command,
        cause: Cause,
    ) -> Result<Vec<Uuid>, GenerateError> {
        let (version, state) = self.streams.remove(stream).unwrap_or_default();
        let summary = format!("{command:?}");
        let events = match state.decide(command) {
            Ok(events) => events,
            Err(error) => {
                self.streams.insert(stream.to_string(), (version, state));
                return Err(GenerateError::Refused {
                    stream: stream.to_string(),
                    command: summary.chars().take(160).collect(),
                    code: error.code(),
                    message: error.to_string(),
                });
            }
        };
        let mut state = state;
        for event in &events {
            state = state.evolve(event);
        }
        let next_version = version + events.len() as u64;
        self.streams
            .insert(stream.to_string(), (next_version, state));
        if events.is_empty() {
            return Ok(Vec::new());
        }
        write_commit::<A>(recorder, stream, version + 1, &events, cause)
    }
}

fn write_commit<A: Aggregate>(
    recorder: &mut Recorder,
    stream: &str,
    from_version: u64,
    events: &[A::Event],
    cause: Cause,
) -> Result<Vec<Uuid>, GenerateError> {
    let command_id = recorder.id();
    let now = recorder.now();
    let actor = match cause.user {
        Some(user) => format!("{}{user}", cause.actor),
        None => cause.actor.to_string(),
    };
    let mut envelopes = Vec::with_capacity(events.len());
    let mut types = Vec::with_capacity(events.len());
    for (event, version) in events.iter().zip(from_version..) {
        let (event_type, schema, data) = schemas::encode_event::<A>(event)?;
        let event_id = recorder.id();
        count_event::<A>(&mut recorder.tally, event, &data);
        types.push(event_type.clone());
        envelopes.push(EventEnvelope {
            event_id,
            stream: stream.to_string(),
            version,
            event_type,
            schema,
            occurred_at: now,
            command_id,
            correlation_id: cause.correlation_id,
            causation_id: cause.causation_id,
            actor: actor.clone(),
            data,
        });
    }
    let ids: Vec<Uuid> = envelopes.iter().map(|e| e.event_id).collect();
    let partition = runtime::kafka::partition_for(stream, recorder.partitions());
    let epoch = recorder
        .epochs
        .get(usize::try_from(partition).unwrap_or(0))
        .copied()
        .unwrap_or(0);
    let record = LogRecord::Commit(Commit {
        stream: stream.to_string(),
        from_version,
        epoch,
        command_id,
        request_hash: None,
        accepted_at: now,
        events: envelopes,
    });
    let payload = serde_json::to_vec(&record)?;
    recorder.tally.records += 1;
    recorder.tally.events += events.len() as u64;
    recorder.tally.bytes += payload.len() as u64;
    recorder.pending.push(Produced {
        partition,
        key: stream.to_string(),
        payload,
        aggregate: A::KIND,
        event_types: types.join(","),
        events: events.len(),
    });
    Ok(ids)
}

/// Counts an event by type, and the variants and order lines it creates.
fn count_event<A: Aggregate>(tally: &mut Tally, event: &A::Event, data: &serde_json::Value) {
    let event_type = domain::EventType::event_type(event);
    *tally.by_type.entry(event_type).or_default() += 1;
    let listed = |key: &str| {
        data.get(key)
            .and_then(serde_json::Value::as_array)
            .map_or(0, Vec::len) as u64
    };
    match event_type {
        "ProductCreated" => tally.variants += listed("variants"),
        "VariantAdded" => tally.variants += 1,
        "OrderPlaced" => tally.order_lines += listed("lines"),
        _ => {}
    }
}
