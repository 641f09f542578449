//! The component schemas written by hand: the error envelope (built with `json!` in
//! [`crate::error`], so there is no type to generate it from) and the answers every command
//! shares ([`crate::commands`]) or identity issues.

use serde_json::{Map, Value, json};

/// The error envelope and the answers every command shares.
pub fn fixed_schemas() -> Map<String, Value> {
    let codes: Vec<&str> = super::codes::ALL.iter().map(|code| code.code).collect();
    let mut schemas = Map::new();
    schemas.insert("ErrorEnvelope".into(), json!({
        "description": "Every 4xx and 5xx answer.",
        "type": "object",
        "required": ["error"],
        "properties": { "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable, machine-readable; each response lists the codes it can carry.",
                    "example": "validation_failed",
                    "x-known-codes": codes,
                },
                "message": { "type": "string", "description": "For people; may change." },
                "details": {
                    "type": "object",
                    "nullable": true,
                    "description": "`fields` for `validation_failed` (`{\"field\": \"why\"}`), `retry_after_secs` for `too_many_attempts` and `rate_limited`.",
                    "additionalProperties": true,
                },
            },
        }},
    }));
    schemas.insert("CommandAccepted".into(), json!({
        "description": "The command was decided and accepted. Operations add their own fields (see each response).",
        "type": "object",
        "required": ["command_id", "stream", "consistency_token"],
        "properties": {
            "command_id": { "type": "string", "format": "uuid" },
            "stream": { "type": "string", "description": "The stream the command went to, e.g. `product-<uuid>`." },
            "version": { "type": "integer", "format": "int64", "nullable": true, "description": "The stream's version after the command." },
            "consistency_token": { "type": "string", "description": "Also in the `X-Consistency-Token` header." },
        },
        "additionalProperties": true,
    }));
    schemas.insert("CommandPending".into(), json!({
        "description": "The command is queued but was not decided in time; retry with the same `Idempotency-Key` to learn the outcome.",
        "type": "object",
        "required": ["command_id", "stream", "status"],
        "properties": {
            "command_id": { "type": "string", "format": "uuid" },
            "stream": { "type": "string" },
            "status": { "type": "string", "enum": ["pending"] },
        },
        "additionalProperties": true,
    }));
    schemas.insert("Tokens".into(), json!({
        "description": "A fresh access token and refresh token.",
        "type": "object",
        "required": ["customer_id", "role", "token_type", "access_token", "expires_in", "refresh_token", "refresh_expires_at"],
        "properties": {
            "customer_id": { "type": "string", "format": "uuid" },
            "role": { "type": "string", "enum": ["customer", "staff", "admin"] },
            "token_type": { "type": "string", "enum": ["Bearer"] },
            "access_token": { "type": "string" },
            "expires_in": { "type": "integer", "description": "Seconds the access token lives." },
            "refresh_token": { "type": "string", "description": "Single use: `/auth/refresh` spends it." },
            "refresh_expires_at": { "type": "string", "format": "date-time" },
        },
    }));
    schemas
}
