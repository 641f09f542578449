//! The aggregate contract every business object follows.
//!
//! An aggregate is a consistency boundary: `decide` checks a command against the current state
//! and answers with the events it causes (or a typed refusal); `evolve` folds one event into the
//! state. Both are pure, so the same history always yields the same state and the same decision,
//! whichever process replays it.

use serde::{Serialize, de::DeserializeOwned};

/// How a refusal should be reported to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The command is well formed but the current state forbids it (HTTP 409).
    Conflict,
    /// The command itself breaks a rule, whatever the state (HTTP 422).
    Invalid,
    /// The command addresses something that does not exist (HTTP 404).
    NotFound,
}

/// A refusal from `decide`, with a stable machine-readable code.
pub trait DomainError: std::error::Error + Send + Sync + 'static {
    /// Stable snake_case code clients can match on, e.g. `insufficient_stock`.
    fn code(&self) -> &'static str;
    /// How the refusal maps onto the caller's protocol.
    fn kind(&self) -> ErrorKind;
}

/// The name of an event variant as written in the envelope's `type` field.
pub trait EventType {
    /// Past-tense type name, e.g. `StockReserved`.
    fn event_type(&self) -> &'static str;
}

/// A consistency boundary with pure decision and evolution functions.
///
/// Commands and events serialize as `{"type": "...", "data": {...}}`
/// (`#[serde(tag = "type", content = "data")]`), so the wire envelope can carry the type
/// separately from the payload.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    /// Stream name prefix: a stream is `<KIND>-<id>`, e.g. `product-6f1c…`.
    const KIND: &'static str;
    /// What callers ask for.
    type Command: Serialize + DeserializeOwned + Clone + Send + Sync + std::fmt::Debug;
    /// What happened.
    type Event: Serialize
        + DeserializeOwned
        + Clone
        + Send
        + Sync
        + std::fmt::Debug
        + PartialEq
        + EventType;
    /// Why a command was refused.
    type Error: DomainError + PartialEq;

    /// Checks `command` against the current state and returns the events it causes.
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one event into the state.
    fn evolve(self, event: &Self::Event) -> Self;
}
