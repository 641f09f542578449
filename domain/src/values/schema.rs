//! JSON Schema helpers for string newtypes.
//!
//! schemars 0.8 does not follow `#[serde(try_from)]`, so validated string newtypes describe
//! themselves by hand with the same limits their constructors enforce.

use schemars::schema::{InstanceType, Schema, SchemaObject, StringValidation};

/// A string schema with length bounds, an optional regex pattern and an optional format.
pub(crate) fn string_schema(
    min_length: u32,
    max_length: u32,
    pattern: Option<&str>,
    format: Option<&str>,
) -> Schema {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: format.map(str::to_owned),
        string: Some(Box::new(StringValidation {
            min_length: Some(min_length),
            max_length: Some(max_length),
            pattern: pattern.map(str::to_owned),
        })),
        ..Default::default()
    }
    .into()
}
