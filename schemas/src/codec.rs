//! The one way events cross the wire: [`encode_event`] for writers, [`decode_event`] for readers.
//!
//! Writers always produce the registry's current schema version. Readers accept any version the
//! registry has upcasters for, so a replay of an old log decodes into today's event types.

use domain::{Aggregate, EventType};
use serde_json::{Map, Value};

use crate::envelope::EventEnvelope;
use crate::registry;
use crate::upcast::{UpcastError, upcast};

/// Why an envelope could not be decoded into a domain event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The registry does not know the type.
    #[error("unknown event type {event_type} (schema v{schema})")]
    UnknownType {
        /// The envelope's `type`.
        event_type: String,
        /// The envelope's `schema`.
        schema: u32,
    },
    /// The type belongs to another aggregate than the one the reader asked for.
    #[error("{event_type} v{schema} belongs to aggregate {actual}, not {expected}")]
    WrongAggregate {
        /// The envelope's `type`.
        event_type: String,
        /// The envelope's `schema`.
        schema: u32,
        /// The aggregate the reader decodes.
        expected: &'static str,
        /// The aggregate the type belongs to.
        actual: &'static str,
    },
    /// The payload could not be brought to the current version.
    #[error(transparent)]
    Upcast(UpcastError),
    /// The (upcast) payload does not fit the current event type.
    #[error("{event_type} v{schema} does not decode as v{current}: {source}")]
    Payload {
        /// The envelope's `type`.
        event_type: String,
        /// The envelope's `schema`.
        schema: u32,
        /// The version it was upcast to.
        current: u32,
        /// What serde said.
        source: serde_json::Error,
    },
}

/// Why a domain event could not be encoded for the log.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// serde refused the event.
    #[error("{event_type} does not serialize: {source}")]
    Serialize {
        /// The event's type.
        event_type: &'static str,
        /// What serde said.
        source: serde_json::Error,
    },
    /// The event did not serialize as `{"type": ..., "data": ...}`.
    #[error("{event_type} does not serialize as {{\"type\", \"data\"}}: found {found}")]
    NotAdjacentlyTagged {
        /// The event's type.
        event_type: &'static str,
        /// What it serialized as, abbreviated.
        found: String,
    },
    /// The serialized tag and `EventType::event_type` disagree.
    #[error("{declared} serializes with tag {tag}")]
    TagMismatch {
        /// What `EventType` says.
        declared: &'static str,
        /// What serde wrote.
        tag: String,
    },
    /// The registry does not know the type: a new variant without a registry entry.
    #[error("{event_type} is not in the event type registry")]
    Unregistered {
        /// The event's type.
        event_type: &'static str,
    },
    /// The registry files the type under another aggregate.
    #[error("{event_type} is registered for {registered}, not {aggregate}")]
    WrongAggregate {
        /// The event's type.
        event_type: &'static str,
        /// The aggregate encoding it.
        aggregate: &'static str,
        /// The aggregate in the registry.
        registered: &'static str,
    },
}

/// Decodes the event in `envelope` as an event of aggregate `A`, upcasting old versions.
pub fn decode_event<A: Aggregate>(envelope: &EventEnvelope) -> Result<A::Event, DecodeError> {
    let event_type = envelope.event_type.as_str();
    let schema = envelope.schema;
    let info = registry::lookup(event_type).ok_or_else(|| DecodeError::UnknownType {
        event_type: event_type.into(),
        schema,
    })?;
    if info.aggregate != A::KIND {
        return Err(DecodeError::WrongAggregate {
            event_type: event_type.into(),
            schema,
            expected: A::KIND,
            actual: info.aggregate,
        });
    }
    let data = upcast(event_type, schema, envelope.data.clone()).map_err(DecodeError::Upcast)?;
    let mut tagged = Map::new();
    tagged.insert("type".into(), Value::String(event_type.into()));
    // A variant without payload is carried as `data: null` and serde expects no `data` at all.
    if !data.is_null() {
        tagged.insert("data".into(), data);
    }
    serde_json::from_value(Value::Object(tagged)).map_err(|source| DecodeError::Payload {
        event_type: event_type.into(),
        schema,
        current: info.current_schema,
        source,
    })
}

/// Encodes `event` for the log as `(type, current schema version, data)`.
pub fn encode_event<A: Aggregate>(event: &A::Event) -> Result<(String, u32, Value), EncodeError> {
    let event_type = event.event_type();
    let value = serde_json::to_value(event)
        .map_err(|source| EncodeError::Serialize { event_type, source })?;
    let Value::Object(mut object) = value else {
        return Err(EncodeError::NotAdjacentlyTagged {
            event_type,
            found: abbreviate(&value),
        });
    };
    let tag = match object.remove("type") {
        Some(Value::String(tag)) => tag,
        other => {
            return Err(EncodeError::NotAdjacentlyTagged {
                event_type,
                found: format!("type = {}", abbreviate(&other.unwrap_or(Value::Null))),
            });
        }
    };
    if tag != event_type {
        return Err(EncodeError::TagMismatch {
            declared: event_type,
            tag,
        });
    }
    let data = object.remove("data").unwrap_or(Value::Null);
    if let Some(extra) = object.keys().next() {
        return Err(EncodeError::NotAdjacentlyTagged {
            event_type,
            found: format!("extra key `{extra}`"),
        });
    }
    let info = registry::lookup(event_type).ok_or(EncodeError::Unregistered { event_type })?;
    if info.aggregate != A::KIND {
        return Err(EncodeError::WrongAggregate {
            event_type,
            aggregate: A::KIND,
            registered: info.aggregate,
        });
    }
    Ok((tag, info.current_schema, data))
}

/// A short rendering of a JSON value for error messages (payloads may be large or personal).
fn abbreviate(value: &Value) -> String {
    match value {
        Value::Object(_) => "an object".into(),
        Value::Array(_) => "an array".into(),
        Value::String(_) => "a string".into(),
        other => other.to_string(),
    }
}
