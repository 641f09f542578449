//! # schemas
//!
//! Wire contracts shared by every service: the envelope and log records, the registry of event
//! types and their schema versions, the upcasters that bring old payloads to today's shape, and
//! the codec every writer and reader goes through.
//!
//! Checked in beside the code: `json/<aggregate>/<Type>.v<N>.schema.json` (JSON Schema of each
//! payload version) and `golden/<aggregate>/<Type>.v<N>.json` (a full envelope per version). The
//! contract tests in `tests/contracts/` fail when a payload's shape changes without a new schema
//! version and an upcaster; see `README.md`.
//!
//! # Layout
//! - [`envelope`]: the event envelope.
//! - [`log_record`]: commits, rejections and ownership markers of the events log.
//! - [`registry`]: every event type, its aggregate and current schema version.
//! - [`mod@upcast`]: version-to-version steps for old payloads, and [`upcast::upcast()`] chaining them.
//! - [`codec`]: [`encode_event`] for writers, [`decode_event`] for readers.
//! - [`json_schema`]: per-type payload schemas cut from each event enum's JSON Schema.
//! - [`catalog`]: the list of aggregates, walked with an [`AggregateVisitor`].

pub mod catalog;
pub mod codec;
pub mod envelope;
pub mod json_schema;
pub mod log_record;
pub mod registry;
pub mod upcast;

pub use catalog::{AggregateVisitor, visit_aggregates};
pub use codec::{DecodeError, EncodeError, decode_event, encode_event};
pub use envelope::EventEnvelope;
pub use log_record::{Commit, LogRecord, OwnershipMarker, Rejection, RejectionReason};
pub use registry::{EVENT_TYPES, EventTypeInfo};
pub use upcast::{UpcastError, upcast};
