//! Skeletons for missing golden examples, written only under `UPDATE_SCHEMAS=1`.
//!
//! A skeleton is a starting point, not a golden: it fills every field with a placeholder of the
//! right type, and its author replaces them with realistic values before checking it in. Types
//! with validated strings (SKUs, e-mails) fail to decode until that is done, which is the point.

use serde_json::{Map, Value, json};

/// A full envelope around a placeholder payload for `event_type` version `version`.
pub fn envelope(aggregate: &str, event_type: &str, version: u32, schema: &Value) -> Value {
    json!({
        "event_id": "01920000-0000-7000-8000-000000000001",
        "stream": format!("{aggregate}-REPLACE-ME"),
        "version": 1,
        "type": event_type,
        "schema": version,
        "occurred_at": "2024-09-16T10:00:00Z",
        "command_id": "01920000-0000-7000-8000-000000000002",
        "correlation_id": "01920000-0000-7000-8000-000000000002",
        "causation_id": "01920000-0000-7000-8000-000000000002",
        "actor": "staff:01920000-0000-7000-8000-000000000003",
        "data": example(schema, schema, 0),
    })
}

/// A placeholder instance of `schema`; `root` resolves references.
fn example(root: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 16 {
        return Value::Null;
    }
    let Some(object) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(target) = object
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| root.pointer(pointer))
    {
        return example(root, target, depth + 1);
    }
    if let Some(first) = object
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    if let Some(constant) = object.get("const") {
        return constant.clone();
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = object
            .get(combinator)
            .and_then(Value::as_array)
            .and_then(|v| v.first())
        {
            return example(root, first, depth + 1);
        }
    }
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("null"),
        _ => "null",
    };
    let format = object.get("format").and_then(Value::as_str);
    match (kind, format) {
        ("string", Some("uuid")) => json!("01920000-0000-7000-8000-00000000000a"),
        ("string", Some("date-time")) => json!("2024-09-16T10:00:00Z"),
        ("string", _) => json!("REPLACE-ME"),
        ("integer", _) => json!(1),
        ("number", _) => json!(1.5),
        ("boolean", _) => json!(true),
        ("array", _) => match object.get("items") {
            Some(items) => json!([example(root, items, depth + 1)]),
            None => json!([]),
        },
        ("object", _) => {
            let mut out = Map::new();
            if let Some(properties) = object.get("properties").and_then(Value::as_object) {
                for (name, sub) in properties {
                    out.insert(name.clone(), example(root, sub, depth + 1));
                }
            }
            Value::Object(out)
        }
        _ => Value::Null,
    }
}
