//! Builds the OpenAPI 3.0 document from the operation table and the request body types.

use std::collections::BTreeMap;

use domain::values::{CouponCode, Sku};
use schemars::{
    r#gen::{SchemaGenerator, SchemaSettings},
    schema::Schema,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    codes::ErrorCode,
    components,
    model::{Access, Answer, Operation},
    operations::{OPERATIONS, RESOURCES},
};

/// The OpenAPI version the document follows.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// Where components are referenced from.
const SCHEMAS: &str = "#/components/schemas/";

/// The name of the bearer security scheme.
const BEARER: &str = "bearerAuth";

const API_DESCRIPTION: &str = "The write side of Agora. Every request that changes something \
becomes a command on the log; the answer says whether it was accepted (with a consistency token \
to read your own write from the query API) or is still queued.\n\n\
**Errors** always have the shape `{\"error\": {\"code\", \"message\", \"details\"}}`; match on \
`code`, which is stable. **Retries**: send an `Idempotency-Key` and a retry is the same command, \
never applied twice. **Rate limits**: each caller (the subject of its token, else its address) \
has a request budget per second on every operation but the probes and docs; over it the answer \
is 429 `rate_limited` with `Retry-After`. **Auth**: `Authorization: Bearer <access token>` from `/auth/login`; roles are ordered customer < staff < admin, and an operation needing a role accepts any higher one.";

/// The whole document.
pub fn build() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for operation in OPERATIONS {
        let item = operation_object(operation, &mut generator);
        paths
            .entry(operation.path)
            .or_default()
            .insert(operation.method.as_str().to_string(), item);
    }
    let mut schemas = component_schemas(&mut generator);
    schemas.extend(components::fixed_schemas());
    let tags: Vec<Value> = RESOURCES
        .iter()
        .map(|(name, description)| json!({ "name": name, "description": description }))
        .collect();
    json!({
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Agora command API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": API_DESCRIPTION,
        },
        "servers": [
            { "url": "/", "description": "The server answering this document." },
            { "url": "http://127.0.0.1:8080", "description": "Local default (`AGORA_COMMAND_ADDR`)." },
        ],
        "tags": tags,
        "security": [{ BEARER: [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Access token from `/auth/login`, `/auth/register` or `/auth/refresh` (HS256, audience `agora`, role claim).",
                },
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": false,
                    "description": "1 to 200 visible ASCII characters chosen by the client. A retry with the same key (by the same caller) is the same command: answered from the log, never applied twice. The same key with a different request is refused (`idempotency_key_reused`). Without it every request is a new command.",
                    "schema": { "type": "string", "minLength": 1, "maxLength": 200 },
                },
                "ConsistencyToken": {
                    "name": "X-Consistency-Token",
                    "in": "header",
                    "required": false,
                    "description": "A token from an earlier answer: the request first waits (up to 5 s) until the read model it consults has caught up with that write, else answers 503 `unavailable`.",
                    "schema": { "type": "string" },
                },
            },
            "headers": {
                "ConsistencyToken": {
                    "description": "Where the command's events are in the log; pass it to the query API (or back here) to read your own write.",
                    "schema": { "type": "string" },
                },
                "RetryAfter": {
                    "description": "Seconds until an attempt may succeed.",
                    "schema": { "type": "integer", "minimum": 0 },
                },
            },
            "schemas": schemas,
        },
    })
}

/// The generated component schemas, with the OpenAPI visitors applied (they only run on root
/// schemas by themselves).
fn component_schemas(generator: &mut SchemaGenerator) -> Map<String, Value> {
    let mut definitions = generator.take_definitions();
    for visitor in generator.visitors_mut() {
        for schema in definitions.values_mut() {
            visitor.visit_schema(schema);
        }
    }
    definitions
        .into_iter()
        .map(|(name, schema)| (name, schema_value(&schema)))
        .collect()
}

/// A schema as JSON. Serializing cannot fail: schemas hold only string-keyed maps.
fn schema_value(schema: &Schema) -> Value {
    json!(schema)
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMAS}{name}") })
}

/// `post /products/{id}/publish` → `post_products_by_id_publish`.
fn operation_id(operation: &Operation) -> String {
    let mut id = operation.method.as_str().to_string();
    for segment in operation.path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                id.push_str("by_");
                id.push_str(param);
            }
            None => id.push_str(&segment.replace(['-', '.'], "_")),
        }
    }
    id
}

/// What an id parameter names: `cart_id` → `cart`; a bare `id` → the collection before it,
/// singular (`/me/addresses/{id}` → `address`).
fn noun_of(name: &str, path: &str) -> String {
    if let Some(noun) = name.strip_suffix("_id") {
        return noun.replace('_', " ");
    }
    let before = path
        .split('/')
        .take_while(|segment| *segment != format!("{{{name}}}"))
        .last()
        .unwrap_or_default();
    let singular = before
        .strip_suffix("sses")
        .map(|stem| format!("{stem}ss"))
        .or_else(|| before.strip_suffix('s').map(str::to_string));
    singular.unwrap_or_else(|| before.to_string())
}

fn path_parameter(name: &str, path: &str, generator: &mut SchemaGenerator) -> Value {
    let (schema, description) = match name {
        "sku" => (
            generator.subschema_for::<Sku>(),
            "The SKU (case-insensitive).".to_string(),
        ),
        "code" => (
            generator.subschema_for::<CouponCode>(),
            "The coupon code (case-insensitive).".to_string(),
        ),
        _ => (
            generator.subschema_for::<Uuid>(),
            format!("The {}'s id.", noun_of(name, path)),
        ),
    };
    json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": schema_value(&schema),
    })
}

fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        // An empty requirement makes the token optional.
        Access::Guest => json!([{}, { BEARER: [] }]),
        Access::Customer | Access::Staff | Access::Admin => json!([{ BEARER: [] }]),
    }
}

fn operation_object(operation: &Operation, generator: &mut SchemaGenerator) -> Value {
    let mut parameters: Vec<Value> = operation
        .path_params()
        .into_iter()
        .map(|name| path_parameter(name, operation.path, generator))
        .collect();
    if operation.idempotent {
        parameters.push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
    }
    if operation.consistency {
        parameters.push(json!({ "$ref": "#/components/parameters/ConsistencyToken" }));
    }
    let mut object = json!({
        "operationId": operation_id(operation),
        "tags": [operation.resource],
        "summary": operation.summary,
        "description": description(operation),
        "x-required-role": operation.access.label(),
        "x-idempotent": operation.idempotent,
        "security": security(operation.access),
        "parameters": parameters,
        "responses": responses(operation),
    });
    if let Some(body) = operation.body {
        object["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": schema_value(&body(generator)) } },
        });
    }
    object
}

fn description(operation: &Operation) -> String {
    let mut text = String::from(operation.description);
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(&format!("Role: **{}**.", operation.access.label()));
    if operation.idempotent {
        text.push_str(" Honours `Idempotency-Key`.");
    }
    if operation.consistency {
        text.push_str(" Honours `X-Consistency-Token`.");
    }
    text
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn responses(operation: &Operation) -> Map<String, Value> {
    let mut responses = Map::new();
    let pending = json!({
        "description": "Queued but not decided in time; retry with the same `Idempotency-Key`.",
        "content": json_content(reference("CommandPending")),
    });
    let token_header =
        json!({ "X-Consistency-Token": { "$ref": "#/components/headers/ConsistencyToken" } });
    match operation.answer {
        Answer::Command { extra } => {
            let mut description = String::from("Accepted.");
            if !extra.is_empty() {
                description.push_str(&format!(" Also answers {extra}."));
            }
            responses.insert(
                "200".into(),
                json!({
                    "description": description,
                    "headers": token_header,
                    "content": json_content(reference("CommandAccepted")),
                }),
            );
            responses.insert("202".into(), pending);
        }
        Answer::CommandWithTokens { status } => {
            responses.insert(status.to_string(), json!({
                "description": "Accepted, with a fresh token pair.",
                "headers": token_header,
                "content": json_content(json!({ "allOf": [reference("CommandAccepted"), reference("Tokens")] })),
            }));
            responses.insert("202".into(), pending);
        }
        Answer::Tokens => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "A fresh token pair.",
                    "content": json_content(reference("Tokens")),
                }),
            );
        }
        Answer::NoContent => {
            responses.insert("204".into(), json!({ "description": "Done." }));
        }
        Answer::Text => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "Plain text.",
                    "content": { "text/plain": { "schema": { "type": "string" } } },
                }),
            );
        }
        Answer::Readiness => {
            let body = json!({
                "type": "object",
                "required": ["status", "checks"],
                "properties": {
                    "status": { "type": "string", "enum": ["ready", "unready"] },
                    "checks": {
                        "type": "object",
                        "additionalProperties": { "type": "string" },
                        "description": "Each dependency check: `ok`, or why it is not.",
                    },
                },
            });
            for (status, description) in [
                ("200", "Every check passes."),
                (
                    "503",
                    "At least one check fails; load balancers should stop routing here.",
                ),
            ] {
                responses.insert(
                    status.into(),
                    json!({
                        "description": description,
                        "content": { "application/json": { "schema": body } },
                    }),
                );
            }
        }
        Answer::OpenApi => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "This document.",
                    "content": json_content(json!({ "type": "object" })),
                }),
            );
        }
        Answer::Html => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "A self-contained HTML page.",
                    "content": { "text/html": { "schema": { "type": "string" } } },
                }),
            );
        }
    }
    for (status, codes) in errors_by_status(&operation.errors()) {
        responses.insert(status.to_string(), error_response(status, &codes));
    }
    responses
}

/// Groups codes by status, keeping their order.
pub fn errors_by_status(codes: &[ErrorCode]) -> BTreeMap<u16, Vec<ErrorCode>> {
    let mut grouped: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        grouped.entry(code.status).or_default().push(*code);
    }
    grouped
}

fn error_response(status: u16, codes: &[ErrorCode]) -> Value {
    let description = codes
        .iter()
        .map(|code| format!("`{}`: {}", code.code, code.meaning))
        .collect::<Vec<_>>()
        .join("\n\n");
    let names: Vec<&str> = codes.iter().map(|code| code.code).collect();
    let schema = json!({ "allOf": [
        reference("ErrorEnvelope"),
        { "type": "object", "properties": { "error": {
            "type": "object",
            "properties": { "code": { "type": "string", "enum": names } },
        }}},
    ]});
    let mut response = json!({ "description": description, "content": json_content(schema) });
    if status == 429 {
        response["headers"] =
            json!({ "Retry-After": { "$ref": "#/components/headers/RetryAfter" } });
    }
    response
}
