//! What callers may ask of a payment.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::PaymentMethod;
use crate::values::Money;

/// A request about one payment. Serialized as `{"type": "CapturePayment", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PaymentCommand {
    /// Opens the payment for an order. Repeating it with the same idempotency key is a no-op.
    InitiatePayment {
        /// New payment id.
        payment_id: Uuid,
        /// The order paid for.
        order_id: Uuid,
        /// Amount to collect, greater than zero.
        amount: Money,
        /// How the customer pays.
        method: PaymentMethod,
        /// Opaque provider token for the instrument (a test card token locally; never a card
        /// number).
        instrument_token: String,
        /// Key the provider deduplicates calls by (1..=200 characters).
        idempotency_key: String,
    },
    /// The provider authorized an amount. Repeating it with the same reference is a no-op.
    AuthorizePayment {
        /// Authorized amount, 1..=initiated amount.
        amount: Money,
        /// The provider's reference.
        provider_reference: String,
    },
    /// The provider captured (part of) the authorized amount; the sum of captures never
    /// exceeds the authorization.
    CapturePayment {
        /// Captured amount, greater than zero.
        amount: Money,
    },
    /// The provider declined the instrument. Repeats are no-ops.
    DeclinePayment {
        /// Provider's reason.
        reason: String,
    },
    /// The provider call failed (error, timeout). Repeats are no-ops.
    FailPayment {
        /// What went wrong.
        reason: String,
    },
    /// Money was returned; refunds never exceed what was captured. Idempotent per
    /// `refund_id`.
    RefundPayment {
        /// Refund id (from the caller).
        refund_id: Uuid,
        /// Amount, greater than zero.
        amount: Money,
    },
}
