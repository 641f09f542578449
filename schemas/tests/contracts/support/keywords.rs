//! Which JSON Schema keywords the test validator understands, and a walk that finds the rest.
//!
//! A schema using a keyword the validator does not evaluate would let goldens pass unchecked, so
//! the contract tests refuse such schemas outright.

use serde_json::Value;

/// Keywords that document without constraining.
pub const IGNORED: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "definitions",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
    // Checked by decoding instead; see the module doc.
    "pattern",
];

/// Keywords the validator evaluates.
pub const SUPPORTED: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "const",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "allOf",
    "anyOf",
    "oneOf",
];

/// Every keyword anywhere in `schema` that the validator neither evaluates nor may ignore.
pub fn unsupported_keywords(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk_keywords(schema, "", &mut out);
    out
}

fn walk_keywords(schema: &Value, at: &str, out: &mut Vec<String>) {
    let Some(object) = schema.as_object() else {
        return;
    };
    for (keyword, value) in object {
        let here = format!("{at}/{keyword}");
        match keyword.as_str() {
            "properties" | "definitions" => {
                for (name, sub) in value.as_object().into_iter().flatten() {
                    walk_keywords(sub, &format!("{here}/{name}"), out);
                }
            }
            "items" | "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(subs) => {
                    for (index, sub) in subs.iter().enumerate() {
                        walk_keywords(sub, &format!("{here}/{index}"), out);
                    }
                }
                sub => walk_keywords(sub, &here, out),
            },
            "additionalProperties" => walk_keywords(value, &here, out),
            known if SUPPORTED.contains(&known) || IGNORED.contains(&known) => {}
            unknown => out.push(format!("{at}: `{unknown}`")),
        }
    }
}
