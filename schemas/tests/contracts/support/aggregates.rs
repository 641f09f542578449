//! Per-aggregate hooks, gathered through the crate's aggregate catalog.

use std::collections::BTreeMap;

use domain::Aggregate;
use schemars::JsonSchema;
use schemas::json_schema::event_data_schemas;
use schemas::{AggregateVisitor, EventEnvelope, decode_event, encode_event, visit_aggregates};
use serde_json::Value;

/// An encoded event: type, schema version, payload.
pub type Encoded = (String, u32, Value);

/// What the contract tests need of one aggregate, without its type parameter.
pub struct AggregateContract {
    /// `Aggregate::KIND`.
    pub kind: &'static str,
    /// Event type → payload schema generated from the code today.
    pub schemas: BTreeMap<String, Value>,
    /// Decodes an envelope (upcasting) and encodes the event again.
    pub reencode: fn(&EventEnvelope) -> Result<Encoded, String>,
}

fn reencode<A: Aggregate>(envelope: &EventEnvelope) -> Result<Encoded, String> {
    let event = decode_event::<A>(envelope).map_err(|err| format!("decode: {err}"))?;
    encode_event::<A>(&event).map_err(|err| format!("encode: {err}"))
}

struct Collect(Vec<AggregateContract>);

impl AggregateVisitor for Collect {
    fn visit<A>(&mut self)
    where
        A: Aggregate,
        A::Event: JsonSchema,
    {
        let schemas = event_data_schemas::<A::Event>()
            .unwrap_or_else(|err| panic!("event enum of {} does not split: {err}", A::KIND));
        self.0.push(AggregateContract {
            kind: A::KIND,
            schemas,
            reencode: reencode::<A>,
        });
    }
}

/// Every aggregate in the catalog.
pub fn all() -> Vec<AggregateContract> {
    let mut collect = Collect(Vec::new());
    visit_aggregates(&mut collect);
    collect.0
}

/// The aggregate of kind `kind`.
pub fn by_kind(kind: &str) -> Option<AggregateContract> {
    all().into_iter().find(|contract| contract.kind == kind)
}
