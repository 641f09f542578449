//! A small JSON Schema (draft 07) validator for the subset schemars emits.
//!
//! The workspace has no JSON Schema crate, so the goldens are checked with this. It refuses any
//! keyword it does not implement, so a schema it cannot judge fails loudly instead of passing.
//! One gap is deliberate: `pattern` is not evaluated (no regex engine here); the value types
//! that carry patterns (`Sku`, `Email`, `Currency`) enforce the same rule when the golden is
//! decoded, which every golden test also does.

use serde_json::{Map, Value};

use super::keywords::IGNORED;

/// Checks `instance` against `schema`; `root` resolves `#/definitions/...` references.
/// Returns every violation as `<json pointer>: <problem>`.
pub fn validate(root: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, root, instance, "", &mut errors);
    errors
}

fn check(root: &Value, schema: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let object = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            errors.push(format!("{at}: nothing is allowed here"));
            return;
        }
        Value::Object(object) => object,
        other => {
            errors.push(format!("{at}: schema is not an object: {other}"));
            return;
        }
    };
    for (keyword, value) in object {
        if IGNORED.contains(&keyword.as_str()) {
            continue;
        }
        match keyword.as_str() {
            "$ref" => check_ref(root, value, instance, at, errors),
            "type" => check_type(value, instance, at, errors),
            "enum" => {
                if !value
                    .as_array()
                    .is_some_and(|options| options.contains(instance))
                {
                    errors.push(format!("{at}: {instance} is not one of {value}"));
                }
            }
            "const" => {
                if value != instance {
                    errors.push(format!("{at}: {instance} is not {value}"));
                }
            }
            "format" => check_format(value, instance, at, errors),
            "minimum" | "maximum" => check_bound(keyword, value, instance, at, errors),
            "minLength" | "maxLength" => check_length(keyword, value, instance, at, errors),
            "minItems" | "maxItems" => check_items_count(keyword, value, instance, at, errors),
            "uniqueItems" => check_unique(value, instance, at, errors),
            "required" => check_required(value, instance, at, errors),
            "properties" => check_properties(root, value, instance, at, errors),
            "additionalProperties" => check_additional(root, object, value, instance, at, errors),
            "items" => check_items(root, value, instance, at, errors),
            "allOf" | "anyOf" | "oneOf" => {
                check_combinator(root, keyword, value, instance, at, errors)
            }
            unsupported => errors.push(format!(
                "{at}: schema keyword `{unsupported}` is not supported by the test validator"
            )),
        }
    }
}

fn check_ref(
    root: &Value,
    reference: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let target = reference
        .as_str()
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| root.pointer(pointer));
    match target {
        Some(target) => check(root, target, instance, at, errors),
        None => errors.push(format!("{at}: unresolvable $ref {reference}")),
    }
}

fn type_matches(name: &str, instance: &Value) -> bool {
    match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "number" => instance.is_number(),
        "integer" => instance.is_i64() || instance.is_u64(),
        _ => false,
    }
}

fn check_type(expected: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let ok = match expected {
        Value::String(name) => type_matches(name, instance),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|name| type_matches(name, instance)),
        _ => false,
    };
    if !ok {
        errors.push(format!("{at}: {instance} is not of type {expected}"));
    }
}

fn check_format(format: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(format) = format.as_str() else {
        errors.push(format!("{at}: format is not a string"));
        return;
    };
    let integer_range: Option<(i128, i128)> = match format {
        "int8" => Some((i8::MIN.into(), i8::MAX.into())),
        "int16" => Some((i16::MIN.into(), i16::MAX.into())),
        "int32" => Some((i32::MIN.into(), i32::MAX.into())),
        "int64" => Some((i64::MIN.into(), i64::MAX.into())),
        "uint8" => Some((0, u8::MAX.into())),
        "uint16" => Some((0, u16::MAX.into())),
        "uint32" => Some((0, u32::MAX.into())),
        "uint64" | "uint" => Some((0, u64::MAX.into())),
        _ => None,
    };
    if let Some((low, high)) = integer_range {
        let value = instance
            .as_i64()
            .map(i128::from)
            .or_else(|| instance.as_u64().map(i128::from));
        if let Some(value) = value
            && !(low..=high).contains(&value)
        {
            errors.push(format!("{at}: {value} does not fit {format}"));
        }
        return;
    }
    let Some(text) = instance.as_str() else {
        // Formats constrain strings only; a non-string is judged by `type`.
        return;
    };
    let ok = match format {
        "uuid" => uuid::Uuid::parse_str(text).is_ok(),
        "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        "email" => text.contains('@'),
        "float" | "double" => true,
        other => {
            errors.push(format!(
                "{at}: format `{other}` is not supported by the test validator"
            ));
            return;
        }
    };
    if !ok {
        errors.push(format!("{at}: {text:?} is not a valid {format}"));
    }
}

fn check_bound(keyword: &str, bound: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let (Some(bound), Some(value)) = (bound.as_f64(), instance.as_f64()) else {
        return;
    };
    let ok = if keyword == "minimum" {
        value >= bound
    } else {
        value <= bound
    };
    if !ok {
        errors.push(format!("{at}: {instance} breaks {keyword} {bound}"));
    }
}

fn check_length(
    keyword: &str,
    bound: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let (Some(bound), Some(text)) = (bound.as_u64(), instance.as_str()) else {
        return;
    };
    let length = text.chars().count() as u64;
    let ok = if keyword == "minLength" {
        length >= bound
    } else {
        length <= bound
    };
    if !ok {
        errors.push(format!("{at}: length {length} breaks {keyword} {bound}"));
    }
}

fn check_items_count(
    keyword: &str,
    bound: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let (Some(bound), Some(items)) = (bound.as_u64(), instance.as_array()) else {
        return;
    };
    let count = items.len() as u64;
    let ok = if keyword == "minItems" {
        count >= bound
    } else {
        count <= bound
    };
    if !ok {
        errors.push(format!("{at}: {count} items break {keyword} {bound}"));
    }
}

fn check_unique(flag: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let (Some(true), Some(items)) = (flag.as_bool(), instance.as_array()) else {
        return;
    };
    for (index, item) in items.iter().enumerate() {
        if items[..index].contains(item) {
            errors.push(format!("{at}/{index}: duplicate item {item}"));
        }
    }
}

fn check_required(names: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(object) = instance.as_object() else {
        return;
    };
    for name in names
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !object.contains_key(name) {
            errors.push(format!("{at}: missing required property `{name}`"));
        }
    }
}

fn check_properties(
    root: &Value,
    properties: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let (Some(properties), Some(object)) = (properties.as_object(), instance.as_object()) else {
        return;
    };
    for (name, schema) in properties {
        if let Some(value) = object.get(name) {
            check(root, schema, value, &format!("{at}/{name}"), errors);
        }
    }
}

fn check_additional(
    root: &Value,
    schema: &Map<String, Value>,
    additional: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let Some(object) = instance.as_object() else {
        return;
    };
    let declared = schema.get("properties").and_then(Value::as_object);
    for (name, value) in object {
        if declared.is_some_and(|declared| declared.contains_key(name)) {
            continue;
        }
        check(root, additional, value, &format!("{at}/{name}"), errors);
    }
}

fn check_items(root: &Value, items: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(values) = instance.as_array() else {
        return;
    };
    for (index, value) in values.iter().enumerate() {
        let schema = match items {
            Value::Array(tuple) => match tuple.get(index) {
                Some(schema) => schema,
                None => continue,
            },
            single => single,
        };
        check(root, schema, value, &format!("{at}/{index}"), errors);
    }
}

fn check_combinator(
    root: &Value,
    keyword: &str,
    branches: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let branches = branches.as_array().map(Vec::as_slice).unwrap_or_default();
    let failures: Vec<Vec<String>> = branches
        .iter()
        .map(|branch| {
            let mut branch_errors = Vec::new();
            check(root, branch, instance, at, &mut branch_errors);
            branch_errors
        })
        .collect();
    let passing = failures.iter().filter(|f| f.is_empty()).count();
    match keyword {
        "allOf" => errors.extend(failures.into_iter().flatten()),
        "anyOf" if passing == 0 => {
            errors.push(format!("{at}: matches no branch of anyOf: {failures:?}"));
        }
        "oneOf" if passing != 1 => {
            errors.push(format!(
                "{at}: matches {passing} branches of oneOf, not exactly one: {failures:?}"
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::keywords::unsupported_keywords;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["id", "count", "kind"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "count": {"type": "integer", "format": "uint32", "minimum": 0.0},
                "kind": {"$ref": "#/definitions/Kind"},
                "note": {"type": ["string", "null"], "maxLength": 5}
            },
            "additionalProperties": false,
            "definitions": {"Kind": {"type": "string", "enum": ["a", "b"]}}
        })
    }

    #[test]
    fn a_conforming_document_has_no_errors() {
        let ok = json!({"id": "0190f3a2-5b1e-7c3d-8e4f-5a6b7c8d9e0f", "count": 3, "kind": "a", "note": null});
        assert_eq!(validate(&schema(), &ok), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_violation_is_reported_with_its_path() {
        let bad = json!({"id": "nope", "count": -1, "kind": "c", "note": "too long", "extra": 1});
        let errors = validate(&schema(), &bad);
        for path in ["/id", "/count", "/kind", "/note", "/extra"] {
            assert!(
                errors.iter().any(|e| e.starts_with(&format!("{path}:"))),
                "no error at {path}: {errors:?}"
            );
        }
        let missing = validate(&schema(), &json!({}));
        assert_eq!(missing.len(), 3, "{missing:?}");
    }

    #[test]
    fn an_unknown_keyword_fails_instead_of_passing_silently() {
        let errors = validate(&json!({"dependencies": {}}), &json!({}));
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn unknown_keywords_are_found_however_deep_they_sit() {
        let nested = json!({"properties": {"a": {"items": {"patternProperties": {}}}}});
        assert_eq!(
            unsupported_keywords(&nested),
            ["/properties/a/items: `patternProperties`"]
        );
        assert!(unsupported_keywords(&schema()).is_empty());
    }
}
