//! Contract tests: the registry, the checked-in JSON Schemas and goldens, the upcasters and the
//! codec agree with the domain's event types.
//!
//! # Layout
//! - [`registry_coverage`]: every variant of every event enum is registered, and nothing else.
//! - [`json_schemas`]: checked-in schemas match the code; `UPDATE_SCHEMAS=1` writes new ones.
//! - [`goldens`]: every golden validates, decodes (through upcasting) and re-encodes.
//! - [`codec_errors`]: decoding and encoding failures name the type and version.
//! - [`roundtrip`]: proptest round trips of envelopes and events through JSON and the codec.
//! - [`support`]: file layout, a small JSON Schema validator, per-aggregate hooks.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod codec_errors;
mod goldens;
mod json_schemas;
mod registry_coverage;
mod roundtrip;
mod support;
