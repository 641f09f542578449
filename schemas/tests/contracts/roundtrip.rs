//! Property tests: envelopes survive JSON, and every domain event survives
//! `encode_event` → envelope → JSON text → `decode_event` unchanged.

use domain::inventory::{InventoryEvent, InventoryItem};
use domain::product::{Product, ProductEvent};
use domain::{Aggregate, EventType};
use proptest::prelude::*;
use schemas::{EventEnvelope, decode_event, encode_event, registry};

use crate::support::arbitrary;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// Encodes, wraps, writes as text, reads back and decodes: what a writer and a reader do.
fn through_the_log<A: Aggregate>(
    event: &A::Event,
    meta: &EventEnvelope,
) -> Result<A::Event, TestCaseError> {
    let encoded = encode_event::<A>(event).map_err(|err| TestCaseError::fail(err.to_string()))?;
    prop_assert_eq!(encoded.0.as_str(), event.event_type());
    prop_assert_eq!(
        Some(encoded.1),
        registry::current_schema(event.event_type())
    );
    let envelope = arbitrary::envelope_for(A::KIND, encoded, meta);
    let text =
        serde_json::to_string(&envelope).map_err(|err| TestCaseError::fail(err.to_string()))?;
    let read: EventEnvelope =
        serde_json::from_str(&text).map_err(|err| TestCaseError::fail(err.to_string()))?;
    prop_assert_eq!(&read, &envelope);
    decode_event::<A>(&read).map_err(|err| TestCaseError::fail(err.to_string()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_envelope_survives_a_json_round_trip(envelope in arbitrary::envelope()) {
        let text = serde_json::to_string(&envelope).map_err(|err| TestCaseError::fail(err.to_string()))?;
        let back: EventEnvelope = serde_json::from_str(&text).map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(back, envelope);
    }

    #[test]
    fn any_envelope_names_its_type_and_schema_at_the_top_level(envelope in arbitrary::envelope()) {
        let json = serde_json::to_value(&envelope).map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(json["type"].as_str(), Some(envelope.event_type.as_str()));
        prop_assert_eq!(json["schema"].as_u64(), Some(u64::from(envelope.schema)));
    }

    #[test]
    fn any_inventory_event_decodes_to_itself_after_the_log(
        event in arbitrary::inventory_event(),
        meta in arbitrary::envelope(),
    ) {
        let decoded: InventoryEvent = through_the_log::<InventoryItem>(&event, &meta)?;
        prop_assert_eq!(decoded, event);
    }

    #[test]
    fn any_product_event_decodes_to_itself_after_the_log(
        event in arbitrary::product_event(),
        meta in arbitrary::envelope(),
    ) {
        let decoded: ProductEvent = through_the_log::<Product>(&event, &meta)?;
        prop_assert_eq!(decoded, event);
    }
}
