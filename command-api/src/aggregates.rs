//! The aggregates the processors host, behind one dynamic face.
//!
//! Streams are named `<kind>-<id>`; the kind picks the aggregate type, the command JSON is
//! decoded into that aggregate's command enum, and `decide`/`evolve` run on typed state. Adding an
//! aggregate to the write side means adding one line to `hosted_aggregates!`.

use domain::{
    Aggregate, DomainError, EventType, cart::Cart, coupon::Coupon, customer::Customer,
    email_claim::EmailClaim, inventory::InventoryItem, order::Order, payment::Payment,
    product::Product,
};
use schemas::{EventEnvelope, RejectionReason};

/// An event ready for the envelope: type, schema version and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEvent {
    /// Event type, e.g. `StockReceived`.
    pub event_type: String,
    /// Schema version of `data`.
    pub schema: u32,
    /// Payload.
    pub data: serde_json::Value,
}

/// Why a command produced no decision.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecideError {
    /// The domain refused it.
    #[error("refused: {}", .0.code)]
    Refused(RejectionReason),
    /// The stream kind or the command shape is unknown.
    #[error("malformed command: {0}")]
    Malformed(String),
}

/// The aggregate kind of a stream id (`inventory-SKU-1` → `inventory`).
pub fn kind_of(stream: &str) -> Option<&str> {
    stream.split_once('-').map(|(kind, _)| kind)
}

/// Declares [`AnyAggregate`] with one variant per hosted aggregate, and the dispatch from a
/// stream's kind to typed `decide`/`evolve`.
macro_rules! hosted_aggregates {
    ($($variant:ident($ty:ty)),+ $(,)?) => {
        /// State of one stream of any hosted aggregate.
        // Variants differ in size (an order holds its lines); boxing would add an allocation
        // to every clone on the decide path for no gain, as states live in one map per partition.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone)]
        pub enum AnyAggregate {
            $(
                #[doc = concat!("A `", stringify!($ty), "` stream.")]
                $variant($ty),
            )+
        }

        impl AnyAggregate {
            /// The empty state of a stream's aggregate, by its stream id.
            pub fn empty_for(stream: &str) -> Option<Self> {
                let kind = kind_of(stream)?;
                $(
                    if kind == <$ty as Aggregate>::KIND {
                        return Some(Self::$variant(<$ty>::default()));
                    }
                )+
                None
            }

            /// Decides `command` (wire JSON) against this state; returns the encoded events
            /// and the state after them.
            pub fn decide(
                &self,
                command: &serde_json::Value,
            ) -> Result<(Vec<EncodedEvent>, AnyAggregate), DecideError> {
                match self {
                    $(Self::$variant(state) => decide_typed(state, command)
                        .map(|(events, next)| (events, Self::$variant(next))),)+
                }
            }

            /// Folds an event read from the log into this state.
            pub fn evolve(self, envelope: &EventEnvelope) -> Result<Self, schemas::DecodeError> {
                Ok(match self {
                    $(Self::$variant(state) => Self::$variant(evolve_typed(state, envelope)?),)+
                })
            }
        }
    };
}

hosted_aggregates! {
    Product(Product),
    Inventory(InventoryItem),
    Customer(Customer),
    EmailClaim(EmailClaim),
    Cart(Cart),
    Order(Order),
    Payment(Payment),
    Coupon(Coupon),
}

fn decide_typed<A: Aggregate>(
    state: &A,
    command: &serde_json::Value,
) -> Result<(Vec<EncodedEvent>, A), DecideError> {
    let command: A::Command = serde_json::from_value(command.clone())
        .map_err(|error| DecideError::Malformed(format!("{} command: {error}", A::KIND)))?;
    let events = state.decide(command).map_err(|error| {
        DecideError::Refused(RejectionReason {
            code: error.code().to_string(),
            kind: error.kind(),
            message: error.to_string(),
        })
    })?;
    let mut next = state.clone();
    let mut encoded = Vec::with_capacity(events.len());
    for event in &events {
        next = next.evolve(event);
        let (event_type, schema, data) = schemas::encode_event::<A>(event)
            .map_err(|error| DecideError::Malformed(format!("{}: {error}", event.event_type())))?;
        encoded.push(EncodedEvent {
            event_type,
            schema,
            data,
        });
    }
    Ok((encoded, next))
}

fn evolve_typed<A: Aggregate>(
    state: A,
    envelope: &EventEnvelope,
) -> Result<A, schemas::DecodeError> {
    let event = schemas::decode_event::<A>(envelope)?;
    Ok(state.evolve(&event))
}
