//! JSON Schemas of event payloads, cut out of the schema of each aggregate's event enum.
//!
//! Event enums serialize adjacently tagged (`{"type": "StockAdjusted", "data": {...}}`), so
//! schemars describes them as a `oneOf` with one branch per variant. Each branch's `data`
//! subschema, together with the definitions it reaches, is the standalone schema of that event
//! type's payload: the document checked in as `json/<aggregate>/<Type>.v<N>.schema.json`.
//!
//! [`shape`] strips annotations (descriptions, titles, examples) so that editing a doc comment
//! is not mistaken for a change of wire shape.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

/// Why the schema of an event enum could not be split into per-type payload schemas.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SchemaError {
    /// The enum's schema is not a `oneOf` of tagged branches.
    #[error("schema of event enum {enum_name} is not a oneOf of tagged variants: {detail}")]
    NotAdjacentlyTagged {
        /// Rust name of the enum.
        enum_name: String,
        /// What was missing.
        detail: String,
    },
    /// Two branches claim the same `type` tag.
    #[error("event enum {enum_name} has two variants tagged {event_type}")]
    DuplicateType {
        /// Rust name of the enum.
        enum_name: String,
        /// The repeated tag.
        event_type: String,
    },
    /// A `$ref` points at no definition.
    #[error("schema of {event_type} refers to missing definition {reference}")]
    DanglingRef {
        /// The event type whose payload holds the reference.
        event_type: String,
        /// The unresolved reference.
        reference: String,
    },
}

const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";
const DEFINITIONS_PREFIX: &str = "#/definitions/";

/// Keywords whose value is a map of name → subschema.
const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "definitions"];
/// Keywords whose value is one subschema.
const SCHEMA_VALUES: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
];
/// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf"];
/// Keywords that document a schema without constraining instances.
const ANNOTATIONS: &[&str] = &["description", "title", "examples", "$comment"];

/// Every variant of the event enum `E`, as event type → standalone schema of its `data`.
///
/// A unit variant (no payload) gets `{"type": "null"}`, matching how the codec carries it.
pub fn event_data_schemas<E: JsonSchema>() -> Result<BTreeMap<String, Value>, SchemaError> {
    let enum_name = E::schema_name();
    let not_tagged = |detail: &str| SchemaError::NotAdjacentlyTagged {
        enum_name: enum_name.clone(),
        detail: detail.to_owned(),
    };
    let root = serde_json::to_value(schemars::schema_for!(E))
        .map_err(|err| not_tagged(&format!("schema does not serialize: {err}")))?;
    let definitions = root
        .get("definitions")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let branches = root
        .get("oneOf")
        .and_then(Value::as_array)
        .ok_or_else(|| not_tagged("no oneOf"))?;

    let mut out = BTreeMap::new();
    for branch in branches {
        let properties = branch
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| not_tagged("a variant has no properties"))?;
        let event_type = properties
            .get("type")
            .and_then(|tag| tag.get("enum"))
            .and_then(Value::as_array)
            .and_then(|values| match values.as_slice() {
                [Value::String(name)] => Some(name.clone()),
                _ => None,
            })
            .ok_or_else(|| not_tagged("a variant has no single-valued `type` tag"))?;
        let data = properties
            .get("data")
            .cloned()
            .unwrap_or_else(|| json!({"type": "null"}));
        let schema = standalone(&event_type, data, branch.get("description"), &definitions)?;
        if out.insert(event_type.clone(), schema).is_some() {
            return Err(SchemaError::DuplicateType {
                enum_name,
                event_type,
            });
        }
    }
    Ok(out)
}

/// Builds a self-contained schema document for one payload.
fn standalone(
    event_type: &str,
    data: Value,
    variant_doc: Option<&Value>,
    definitions: &Map<String, Value>,
) -> Result<Value, SchemaError> {
    let mut body = inline_top_ref(event_type, data, definitions)?;
    let mut reached = BTreeSet::new();
    collect_refs(event_type, &body, definitions, &mut reached)?;

    let mut doc = Map::new();
    doc.insert("$schema".into(), Value::String(DRAFT_07.into()));
    doc.insert("title".into(), Value::String(event_type.into()));
    if let Some(object) = body.as_object_mut() {
        // The variant's own doc comment says what the event means; it beats the payload
        // struct's, which only says what the struct is.
        if let Some(doc_text) = variant_doc {
            object.insert("description".into(), doc_text.clone());
        }
        object.remove("title");
        doc.extend(std::mem::take(object));
    }
    if !reached.is_empty() {
        let used: Map<String, Value> = reached
            .into_iter()
            .filter_map(|name| definitions.get(&name).map(|def| (name, def.clone())))
            .collect();
        doc.insert("definitions".into(), Value::Object(used));
    }
    Ok(Value::Object(doc))
}

/// A payload that is just `{"$ref": ...}` (a newtype variant around a struct) is replaced by the
/// definition itself: in draft 07 siblings of `$ref` are ignored, so the document's own keywords
/// must not sit beside one.
fn inline_top_ref(
    event_type: &str,
    mut data: Value,
    definitions: &Map<String, Value>,
) -> Result<Value, SchemaError> {
    // Bounded: a chain of plain references longer than the number of definitions is a cycle.
    for _ in 0..=definitions.len() {
        let Some(reference) = plain_ref(&data) else {
            return Ok(data);
        };
        data = resolve(event_type, &reference, definitions)?.clone();
    }
    Ok(data)
}

/// The target of a schema that is only a `$ref`.
fn plain_ref(schema: &Value) -> Option<String> {
    let object = schema.as_object()?;
    if object.len() != 1 {
        return None;
    }
    object.get("$ref")?.as_str().map(str::to_owned)
}

fn resolve<'a>(
    event_type: &str,
    reference: &str,
    definitions: &'a Map<String, Value>,
) -> Result<&'a Value, SchemaError> {
    reference
        .strip_prefix(DEFINITIONS_PREFIX)
        .and_then(|name| definitions.get(name))
        .ok_or_else(|| SchemaError::DanglingRef {
            event_type: event_type.into(),
            reference: reference.into(),
        })
}

/// Adds to `reached` every definition `schema` refers to, directly or through other definitions.
fn collect_refs(
    event_type: &str,
    schema: &Value,
    definitions: &Map<String, Value>,
    reached: &mut BTreeSet<String>,
) -> Result<(), SchemaError> {
    let mut pending = Vec::new();
    for_each_ref(schema, &mut |reference| pending.push(reference.to_owned()));
    while let Some(reference) = pending.pop() {
        let target = resolve(event_type, &reference, definitions)?;
        let name = reference.trim_start_matches(DEFINITIONS_PREFIX).to_owned();
        if reached.insert(name) {
            for_each_ref(target, &mut |inner| pending.push(inner.to_owned()));
        }
    }
    Ok(())
}

/// Calls `visit` with every `$ref` found at a schema position under `schema`.
fn for_each_ref(schema: &Value, visit: &mut dyn FnMut(&str)) {
    let Some(object) = schema.as_object() else {
        return;
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        visit(reference);
    }
    for_each_subschema(object, &mut |sub| for_each_ref(sub, visit));
}

/// Calls `visit` on each direct subschema of a schema object (not on data such as `enum`).
fn for_each_subschema(object: &Map<String, Value>, visit: &mut dyn FnMut(&Value)) {
    for (key, value) in object {
        let key = key.as_str();
        if SCHEMA_MAPS.contains(&key) {
            value
                .as_object()
                .into_iter()
                .flat_map(Map::values)
                .for_each(&mut *visit);
        } else if SCHEMA_VALUES.contains(&key) {
            visit(value);
        } else if SCHEMA_LISTS.contains(&key) {
            value.as_array().into_iter().flatten().for_each(&mut *visit);
        } else if key == "items" {
            match value {
                Value::Array(items) => items.iter().for_each(&mut *visit),
                single => visit(single),
            }
        }
    }
}

/// The schema without annotations: two schemas with equal shapes accept the same documents.
pub fn shape(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        let key_str = key.as_str();
        if ANNOTATIONS.contains(&key_str) || key_str == "$schema" {
            continue;
        }
        let stripped = if SCHEMA_MAPS.contains(&key_str) {
            match value.as_object() {
                Some(map) => Value::Object(
                    map.iter()
                        .map(|(name, sub)| (name.clone(), shape(sub)))
                        .collect(),
                ),
                None => value.clone(),
            }
        } else if SCHEMA_VALUES.contains(&key_str) {
            shape(value)
        } else if SCHEMA_LISTS.contains(&key_str) || key_str == "items" {
            match value {
                Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
                single => shape(single),
            }
        } else {
            value.clone()
        };
        out.insert(key.clone(), stripped);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    /// How much was counted.
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Count {
        /// The number.
        amount: u32,
        unit: Unit,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    enum Unit {
        Piece,
        Box,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Unused {
        flag: bool,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "type", content = "data")]
    enum Sample {
        /// Something was counted.
        Counted {
            sku: String,
            count: Count,
        },
        Wrapped(Count),
        Cleared,
        Other(Unused),
    }

    fn schemas() -> BTreeMap<String, Value> {
        match event_data_schemas::<Sample>() {
            Ok(schemas) => schemas,
            Err(err) => panic!("sample enum should split: {err}"),
        }
    }

    #[test]
    fn every_variant_gets_a_schema_named_by_its_tag() {
        let names: Vec<_> = schemas().into_keys().collect();
        assert_eq!(names, ["Cleared", "Counted", "Other", "Wrapped"]);
    }

    #[test]
    fn a_payload_schema_carries_only_the_definitions_it_reaches() {
        let counted = &schemas()["Counted"];
        let definitions: Vec<_> = counted["definitions"]
            .as_object()
            .map(|defs| defs.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(definitions, ["Count", "Unit"]);
        assert_eq!(counted["description"], "Something was counted.");
        assert_eq!(counted["title"], "Counted");
    }

    #[test]
    fn a_newtype_payload_is_inlined_rather_than_referenced() {
        let wrapped = &schemas()["Wrapped"];
        assert!(wrapped.get("$ref").is_none());
        assert_eq!(wrapped["type"], "object");
        assert_eq!(wrapped["properties"]["amount"]["format"], "uint32");
    }

    #[test]
    fn a_unit_variant_has_a_null_payload() {
        assert_eq!(schemas()["Cleared"]["type"], "null");
    }

    #[test]
    fn shape_ignores_docs_but_keeps_property_names_that_look_like_annotations() {
        let documented = json!({
            "description": "a thing",
            "type": "object",
            "properties": {
                "description": {"type": "string", "description": "free text"},
                "title": {"type": "string"}
            }
        });
        let bare = json!({
            "type": "object",
            "properties": {
                "description": {"type": "string"},
                "title": {"type": "string"}
            }
        });
        assert_eq!(shape(&documented), bare);
        assert_ne!(shape(&documented), shape(&json!({"type": "object"})));
    }

    #[test]
    fn an_enum_without_tagged_variants_is_refused() {
        #[derive(Serialize, Deserialize, JsonSchema)]
        #[allow(dead_code)]
        struct NotAnEnum {
            field: u8,
        }
        let result = event_data_schemas::<NotAnEnum>();
        assert!(matches!(
            result,
            Err(SchemaError::NotAdjacentlyTagged { .. })
        ));
    }
}
