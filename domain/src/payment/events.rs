//! What happened to a payment.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::PaymentMethod;
use crate::EventType;
use crate::values::Money;

/// A fact about one payment. Serialized as `{"type": "PaymentCaptured", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum PaymentEvent {
    /// The payment exists; the provider is to be asked for an authorization.
    PaymentInitiated {
        /// Payment id.
        payment_id: Uuid,
        /// The order paid for.
        order_id: Uuid,
        /// Amount to collect.
        amount: Money,
        /// How the customer pays.
        method: PaymentMethod,
        /// Opaque provider token.
        instrument_token: String,
        /// Provider idempotency key.
        idempotency_key: String,
    },
    /// The provider authorized an amount.
    PaymentAuthorized {
        /// Authorized amount.
        amount: Money,
        /// Provider reference.
        provider_reference: String,
    },
    /// Money was captured.
    PaymentCaptured {
        /// Captured by this event.
        amount: Money,
        /// Sum of captures so far.
        captured_total: Money,
    },
    /// The provider declined.
    PaymentDeclined {
        /// Provider's reason.
        reason: String,
    },
    /// The provider call failed.
    PaymentFailed {
        /// What went wrong.
        reason: String,
    },
    /// Money was returned.
    PaymentRefunded {
        /// Refund id.
        refund_id: Uuid,
        /// Refunded by this event.
        amount: Money,
        /// Sum of refunds so far.
        refunded_total: Money,
    },
}

impl EventType for PaymentEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::PaymentInitiated { .. } => "PaymentInitiated",
            Self::PaymentAuthorized { .. } => "PaymentAuthorized",
            Self::PaymentCaptured { .. } => "PaymentCaptured",
            Self::PaymentDeclined { .. } => "PaymentDeclined",
            Self::PaymentFailed { .. } => "PaymentFailed",
            Self::PaymentRefunded { .. } => "PaymentRefunded",
        }
    }
}

impl PaymentEvent {
    /// Every event type name.
    pub const TYPES: &'static [&'static str] = &[
        "PaymentInitiated",
        "PaymentAuthorized",
        "PaymentCaptured",
        "PaymentDeclined",
        "PaymentFailed",
        "PaymentRefunded",
    ];
}
