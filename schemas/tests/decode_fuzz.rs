//! Hostile input for the event decoders: whatever bytes or JSON a record of `agora.events`
//! holds, decoding answers `Ok` or a typed error and never panics.
//!
//! Every reader goes through two steps, both fuzzed here:
//! - a record's payload → [`LogRecord`] (`serde_json::from_slice`, as `runtime::log` reads it);
//! - each envelope of a commit → the aggregate's event ([`decode_event`], through the
//!   upcasters), which hydration then folds into state with `evolve`.
//!
//! Inputs are random bytes, random JSON documents, and mutations of the checked-in goldens
//! (fields dropped, replaced by random JSON, types swapped, versions changed), so most cases get
//! past the envelope and exercise the payload decoders and upcasters. Each test counts the cases
//! it ran and prints the count (`--nocapture`), which `docs/RELIABILITY.md` reports.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{cell::Cell, path::Path};

use domain::Aggregate;
use proptest::{prelude::*, test_runner::TestRunner};
use schemas::{
    AggregateVisitor, EVENT_TYPES, EventEnvelope, LogRecord, decode_event, encode_event, upcast,
    visit_aggregates,
};
use serde_json::{Map, Value, json};

/// Cases per property; the four properties together run 4 × this many (≈ 5 s in a debug build).
const CASES: u32 = 20_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // Failures are reported with the input that caused them; no files beside the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every golden envelope (one per type and schema version).
fn goldens() -> Vec<EventEnvelope> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut found = Vec::new();
    for aggregate in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(aggregate.unwrap().path()).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            found.push(serde_json::from_str(&text).unwrap());
        }
    }
    assert!(found.len() >= EVENT_TYPES.len(), "{} goldens", found.len());
    found
}

/// Any JSON document up to a few levels deep, with hostile scalars (huge and negative numbers,
/// floats, empty and odd strings).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!("")),
        any::<String>().prop_map(Value::String),
        "[A-Z][a-zA-Z]{2,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A golden's JSON with one hostile change: a field of the envelope or of its `data` dropped,
/// replaced by random JSON, or the type/schema swapped for another registered one.
fn mutated_golden() -> impl Strategy<Value = Value> {
    let goldens: Vec<Value> = goldens()
        .iter()
        .map(|g| serde_json::to_value(g).unwrap())
        .collect();
    let types: Vec<&'static str> = EVENT_TYPES.iter().map(|t| t.event_type).collect();
    (
        proptest::sample::select(goldens),
        0usize..5,
        any::<prop::sample::Index>(),
        any_json(),
        proptest::sample::select(types),
        0u32..5,
    )
        .prop_map(|(mut golden, how, index, junk, other_type, schema)| {
            let target = if how % 2 == 0 && golden["data"].is_object() {
                golden["data"].as_object_mut().unwrap()
            } else {
                golden.as_object_mut().unwrap()
            };
            let keys: Vec<String> = target.keys().cloned().collect();
            if !keys.is_empty() {
                let key = &keys[index.index(keys.len())];
                match how {
                    0 | 1 => {
                        target.remove(key);
                    }
                    _ => {
                        target.insert(key.clone(), junk);
                    }
                }
            }
            if how == 4 {
                golden["type"] = json!(other_type);
                golden["schema"] = json!(schema);
            }
            golden
        })
}

/// Decodes `envelope` as every aggregate; what decodes is re-encoded and folded into a fresh
/// state, as hydration would. Returns how many aggregates accepted it.
fn decode_as_every_aggregate(envelope: &EventEnvelope) -> usize {
    struct Decode<'a> {
        envelope: &'a EventEnvelope,
        accepted: usize,
    }
    impl AggregateVisitor for Decode<'_> {
        fn visit<A>(&mut self)
        where
            A: Aggregate,
            A::Event: schemars::JsonSchema,
        {
            if let Ok(event) = decode_event::<A>(self.envelope) {
                self.accepted += 1;
                encode_event::<A>(&event).expect("a decoded event encodes again");
                let _state = A::default().evolve(&event);
            }
        }
    }
    let mut decode = Decode {
        envelope,
        accepted: 0,
    };
    visit_aggregates(&mut decode);
    decode.accepted
}

/// Runs a payload through the whole read path: log record, then every envelope of a commit.
fn read_record(payload: &[u8]) {
    if let Ok(LogRecord::Commit(commit)) = serde_json::from_slice::<LogRecord>(payload) {
        for envelope in &commit.events {
            assert!(decode_as_every_aggregate(envelope) <= 1, "{envelope:?}");
        }
    }
}

/// Runs `check` on `CASES` inputs from `strategy`, then asserts they all ran and prints how
/// many (`--no-capture` shows it; `docs/RELIABILITY.md` reports it).
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value)) {
    let ran = Cell::new(0u32);
    let mut runner = TestRunner::new(config());
    runner
        .run(&strategy, |value| {
            ran.set(ran.get() + 1);
            check(value);
            Ok(())
        })
        .unwrap();
    assert!(ran.get() >= CASES, "{name}: only {} cases ran", ran.get());
    eprintln!("decode_fuzz {name}: {} cases", ran.get());
}

#[test]
fn random_bytes_never_panic_the_log_record_decoder() {
    fuzz(
        "bytes",
        proptest::collection::vec(any::<u8>(), 0..512),
        |bytes| {
            read_record(&bytes);
            // Valid JSON up to the garbage: the decoder must refuse it, not trip on it.
            let mut wrapped = br#"{"kind":"commit","stream":""#.to_vec();
            wrapped.extend_from_slice(&bytes);
            read_record(&wrapped);
        },
    );
}

#[test]
fn random_json_documents_never_panic_the_record_or_envelope_decoders() {
    fuzz("documents", any_json(), |document| {
        read_record(document.to_string().as_bytes());
        let _ = serde_json::from_value::<EventEnvelope>(document.clone());
        for kind in ["commit", "rejection", "marker"] {
            let mut tagged = document.clone();
            if let Some(object) = tagged.as_object_mut() {
                object.insert("kind".into(), json!(kind));
            }
            read_record(tagged.to_string().as_bytes());
        }
    });
}

#[test]
fn mutated_goldens_decode_or_fail_with_a_typed_error() {
    let decoded = Cell::new(0u32);
    fuzz("envelopes", mutated_golden(), |mutated| {
        if let Ok(envelope) = serde_json::from_value::<EventEnvelope>(mutated) {
            let accepted = decode_as_every_aggregate(&envelope);
            decoded.set(decoded.get() + u32::try_from(accepted).unwrap());
            let _ = upcast(&envelope.event_type, envelope.schema, envelope.data.clone());
        }
    });
    // Mutations that leave a decodable event (a dropped optional field, junk in an ignored
    // one) show the cases reach the payload decoders and `evolve`, not only the envelope.
    eprintln!(
        "decode_fuzz envelopes: {} decoded to an event",
        decoded.get()
    );
    assert!(decoded.get() > CASES / 20, "{} decoded", decoded.get());
}

#[test]
fn commits_of_mutated_goldens_read_without_panicking() {
    let strategy = (
        proptest::collection::vec(mutated_golden(), 1..4),
        any::<i64>(),
        any::<u64>(),
    );
    fuzz("commits", strategy, |(events, epoch, from_version)| {
        let commit = json!({
            "kind": "commit", "stream": "order-0", "from_version": from_version, "epoch": epoch,
            "command_id": "0190c7a2-0000-7000-8000-000000000001",
            "accepted_at": "2026-01-01T00:00:00Z", "events": events,
        });
        read_record(commit.to_string().as_bytes());
    });
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    for depth in [200, 10_000, 100_000] {
        let document = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(serde_json::from_slice::<LogRecord>(document.as_bytes()).is_err());
        let data = format!(
            r#"{{"kind":"commit","stream":"s","from_version":1,"epoch":0,
            "command_id":"0190c7a2-0000-7000-8000-000000000001",
            "accepted_at":"2026-01-01T00:00:00Z","events":[{{"data":{document}}}]}}"#
        );
        assert!(serde_json::from_slice::<LogRecord>(data.as_bytes()).is_err());
    }
}

#[test]
fn every_golden_still_decodes_as_exactly_one_aggregate() {
    // The fuzzing above would pass vacuously if nothing ever decoded: the unmutated goldens must.
    for golden in goldens() {
        assert_eq!(decode_as_every_aggregate(&golden), 1, "{golden:?}");
    }
}
