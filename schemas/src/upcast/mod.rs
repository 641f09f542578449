//! Upcasters: turn a payload written under an old schema version into the current shape.
//!
//! The log is kept forever, so a reader may meet any version a writer ever produced. Each
//! [`Step`] lifts one event type from version `from` to `from + 1`; [`upcast`] chains steps up
//! to the registry's current version. Steps are pure functions of the payload: no lookups, no
//! clock, so a replay today yields what a replay yesterday did.
//!
//! # Layout
//! - [`inventory`]: steps for inventory events.

pub mod inventory;

use serde_json::Value;

use crate::registry;

/// Why a payload could not be brought to the current shape.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UpcastError {
    /// The registry does not know the type.
    #[error("unknown event type {event_type} (schema v{schema})")]
    UnknownType {
        /// The envelope's `type`.
        event_type: String,
        /// The envelope's `schema`.
        schema: u32,
    },
    /// The version is 0 or newer than this build knows: an old reader meeting a new writer.
    #[error("{event_type} v{schema} is not supported: versions 1 to v{current} are")]
    UnsupportedVersion {
        /// The envelope's `type`.
        event_type: String,
        /// The envelope's `schema`.
        schema: u32,
        /// The registry's current version.
        current: u32,
    },
    /// No step lifts this version: a bump without its upcaster.
    #[error("no upcaster from {event_type} v{from} to v{to}", to = from + 1)]
    MissingStep {
        /// The event type.
        event_type: String,
        /// The version that cannot be lifted.
        from: u32,
    },
    /// The payload does not have the shape its version promises.
    #[error("{event_type} v{schema} payload is malformed: {reason}")]
    Malformed {
        /// The event type.
        event_type: String,
        /// The version the payload claimed.
        schema: u32,
        /// What was wrong.
        reason: String,
    },
}

/// One upcaster: lifts `event_type` from version `from` to `from + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// The event type it applies to.
    pub event_type: &'static str,
    /// The version it reads; it writes `from + 1`.
    pub from: u32,
    /// The transformation. On a malformed payload it says why, in words.
    pub apply: fn(Value) -> Result<Value, String>,
}

/// Every upcaster, for every event type.
pub static STEPS: &[Step] = &[inventory::STOCK_ADJUSTED_V1];

/// The step lifting `event_type` out of version `from`, if one exists.
pub fn step(event_type: &str, from: u32) -> Option<&'static Step> {
    STEPS
        .iter()
        .find(|step| step.event_type == event_type && step.from == from)
}

/// Brings `data`, written as `event_type` version `schema`, to the current version's shape.
///
/// A payload already at the current version is returned unchanged.
pub fn upcast(event_type: &str, schema: u32, data: Value) -> Result<Value, UpcastError> {
    let current = registry::current_schema(event_type).ok_or_else(|| UpcastError::UnknownType {
        event_type: event_type.into(),
        schema,
    })?;
    if schema == 0 || schema > current {
        return Err(UpcastError::UnsupportedVersion {
            event_type: event_type.into(),
            schema,
            current,
        });
    }
    let mut data = data;
    for from in schema..current {
        let step = step(event_type, from).ok_or_else(|| UpcastError::MissingStep {
            event_type: event_type.into(),
            from,
        })?;
        data = (step.apply)(data).map_err(|reason| UpcastError::Malformed {
            event_type: event_type.into(),
            schema: from,
            reason,
        })?;
    }
    Ok(data)
}

/// Takes field `name` out of a payload object, or says which one was missing.
pub(crate) fn take_field(
    object: &mut serde_json::Map<String, Value>,
    name: &str,
) -> Result<Value, String> {
    object
        .remove(name)
        .ok_or_else(|| format!("missing field `{name}`"))
}

/// The payload as an object, or a description of what it was instead.
pub(crate) fn into_object(data: Value) -> Result<serde_json::Map<String, Value>, String> {
    match data {
        Value::Object(object) => Ok(object),
        other => Err(format!("expected an object, found {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_below_the_current_one_has_a_step() {
        for info in registry::EVENT_TYPES {
            for from in 1..info.current_schema {
                assert!(
                    step(info.event_type, from).is_some(),
                    "{} v{from} has no upcaster to v{}",
                    info.event_type,
                    from + 1
                );
            }
        }
    }

    #[test]
    fn no_step_starts_at_or_beyond_the_current_version() {
        for step in STEPS {
            let current = registry::current_schema(step.event_type);
            assert!(
                current.is_some_and(|current| step.from >= 1 && step.from < current),
                "step {} v{} does not lead to a registered version",
                step.event_type,
                step.from
            );
        }
    }

    #[test]
    fn an_unknown_type_is_refused_by_name() {
        let err = upcast("NothingHappened", 1, Value::Null);
        assert_eq!(
            err,
            Err(UpcastError::UnknownType {
                event_type: "NothingHappened".into(),
                schema: 1
            })
        );
    }

    #[test]
    fn a_version_from_the_future_is_refused_with_the_supported_range() {
        let Some(info) = registry::EVENT_TYPES.first() else {
            return;
        };
        let ahead = info.current_schema + 1;
        let err = upcast(info.event_type, ahead, Value::Null);
        let Err(err) = err else {
            panic!("{} v{ahead} was accepted", info.event_type);
        };
        assert!(matches!(err, UpcastError::UnsupportedVersion { schema, .. } if schema == ahead));
        let message = err.to_string();
        assert!(message.contains(info.event_type), "{message}");
        assert!(message.contains(&format!("v{ahead}")), "{message}");
    }

    #[test]
    fn a_current_payload_passes_through_untouched() {
        for info in registry::EVENT_TYPES {
            let data = serde_json::json!({"anything": [1, 2, 3]});
            assert_eq!(
                upcast(info.event_type, info.current_schema, data.clone()),
                Ok(data)
            );
        }
    }
}
