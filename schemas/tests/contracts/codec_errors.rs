//! Decoding and encoding failures are typed and name the event type and version.
//!
//! A stand-in aggregate (`ghost`) plays a writer with a bug, since the domain's own event enums
//! are, by the other tests, all registered.

use domain::inventory::{InventoryEvent, InventoryItem};
use domain::product::Product;
use domain::{Aggregate, DomainError, ErrorKind, EventType};
use schemas::upcast::inventory::UNRECORDED_REASON;
use schemas::{DecodeError, EncodeError, EventEnvelope, UpcastError, decode_event, encode_event};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::support::files;

fn golden(aggregate: &str, event_type: &str, version: u32) -> EventEnvelope {
    let path = files::golden_path(aggregate, event_type, version);
    let json = files::read_json(&path).unwrap_or_else(|| panic!("{} is missing", path.display()));
    serde_json::from_value(json).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn a_v1_stock_adjustment_decodes_to_the_current_event_with_its_quantity_as_delta() {
    let v1 = golden("inventory", "StockAdjusted", 1);
    let event = decode_event::<InventoryItem>(&v1).unwrap();
    assert_eq!(
        event,
        InventoryEvent::StockAdjusted {
            delta: v1.data["quantity"].as_i64().unwrap(),
            reason: UNRECORDED_REASON.to_owned(),
            on_hand: v1.data["on_hand"].as_u64().unwrap(),
            reserved: v1.data["reserved"].as_u64().unwrap(),
        }
    );
    let (event_type, schema, data) = encode_event::<InventoryItem>(&event).unwrap();
    assert_eq!((event_type.as_str(), schema), ("StockAdjusted", 2));
    assert!(data.get("quantity").is_none(), "{data}");
}

#[test]
fn decoding_as_the_wrong_aggregate_names_both_aggregates_and_the_version() {
    let envelope = golden("product", "ProductCreated", 1);
    let err = decode_event::<InventoryItem>(&envelope).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::WrongAggregate {
            expected: "inventory",
            actual: "product",
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "ProductCreated v1 belongs to aggregate product, not inventory"
    );
}

#[test]
fn an_unknown_type_is_refused_by_name_and_version() {
    let mut envelope = golden("inventory", "StockReceived", 1);
    envelope.event_type = "StockTeleported".into();
    envelope.schema = 3;
    let err = decode_event::<InventoryItem>(&envelope).unwrap_err();
    assert!(matches!(err, DecodeError::UnknownType { .. }));
    assert_eq!(
        err.to_string(),
        "unknown event type StockTeleported (schema v3)"
    );
}

#[test]
fn a_version_newer_than_this_build_is_refused_with_the_supported_range() {
    let mut envelope = golden("inventory", "StockAdjusted", 2);
    envelope.schema = 3;
    let err = decode_event::<InventoryItem>(&envelope).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::Upcast(UpcastError::UnsupportedVersion {
            schema: 3,
            current: 2,
            ..
        })
    ));
    assert_eq!(
        err.to_string(),
        "StockAdjusted v3 is not supported: versions 1 to v2 are"
    );
}

#[test]
fn a_malformed_old_payload_names_the_version_it_claimed() {
    let mut envelope = golden("inventory", "StockAdjusted", 1);
    envelope.data = json!({"on_hand": 5, "reserved": 0});
    let err = decode_event::<InventoryItem>(&envelope).unwrap_err();
    assert_eq!(
        err.to_string(),
        "StockAdjusted v1 payload is malformed: missing field `quantity`"
    );
}

#[test]
fn a_payload_that_does_not_fit_names_the_type_its_version_and_the_field() {
    let mut envelope = golden("inventory", "StockReceived", 1);
    envelope.data["quantity"] = json!("lots");
    let err = decode_event::<InventoryItem>(&envelope).unwrap_err();
    let message = err.to_string();
    assert!(matches!(
        err,
        DecodeError::Payload {
            schema: 1,
            current: 1,
            ..
        }
    ));
    assert!(
        message.starts_with("StockReceived v1 does not decode as v1: "),
        "{message}"
    );
    assert!(message.contains("lots"), "{message}");
}

#[test]
fn a_payloadless_product_event_decodes_from_an_empty_object() {
    let envelope = golden("product", "ProductPublished", 1);
    assert_eq!(envelope.data, json!({}));
    let event = decode_event::<Product>(&envelope).unwrap();
    assert_eq!(encode_event::<Product>(&event).unwrap().2, envelope.data);
}

/// An aggregate whose events the registry does not know (or files elsewhere).
#[derive(Debug, Clone, Default)]
struct Ghost;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum GhostEvent {
    Haunted {
        room: String,
    },
    StockReceived {
        quantity: u32,
        on_hand: u64,
        reserved: u64,
    },
    Misnamed {
        note: String,
    },
}

impl EventType for GhostEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::Haunted { .. } => "Haunted",
            Self::StockReceived { .. } => "StockReceived",
            // The bug under test: the declared name is not the serialized tag.
            Self::Misnamed { .. } => "WellNamed",
        }
    }
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("never")]
struct GhostError;

impl DomainError for GhostError {
    fn code(&self) -> &'static str {
        "never"
    }
    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

impl Aggregate for Ghost {
    const KIND: &'static str = "ghost";
    type Command = Value;
    type Event = GhostEvent;
    type Error = GhostError;

    fn decide(&self, _: Value) -> Result<Vec<GhostEvent>, GhostError> {
        Err(GhostError)
    }

    fn evolve(self, _: &GhostEvent) -> Self {
        self
    }
}

#[test]
fn encoding_an_unregistered_event_is_refused_by_name() {
    let err = encode_event::<Ghost>(&GhostEvent::Haunted {
        room: "attic".into(),
    })
    .unwrap_err();
    assert!(matches!(
        err,
        EncodeError::Unregistered {
            event_type: "Haunted"
        }
    ));
    assert_eq!(err.to_string(), "Haunted is not in the event type registry");
}

#[test]
fn encoding_an_event_registered_to_another_aggregate_is_refused() {
    let event = GhostEvent::StockReceived {
        quantity: 1,
        on_hand: 1,
        reserved: 0,
    };
    let err = encode_event::<Ghost>(&event).unwrap_err();
    assert_eq!(
        err.to_string(),
        "StockReceived is registered for inventory, not ghost"
    );
}

#[test]
fn encoding_an_event_whose_declared_type_is_not_its_tag_is_refused() {
    let err = encode_event::<Ghost>(&GhostEvent::Misnamed { note: "x".into() }).unwrap_err();
    assert!(matches!(
        err,
        EncodeError::TagMismatch {
            declared: "WellNamed",
            ..
        }
    ));
    assert_eq!(err.to_string(), "WellNamed serializes with tag Misnamed");
}
