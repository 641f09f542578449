//! Payment: one attempt to collect an order's total (`payment-<uuid>`) through a provider.
//!
//! ```text
//! initiated ──► authorized ──► captured ──► refunded (fully)
//!     │  │           └──► failed
//!     │  └──► failed
//!     └──► declined
//! ```
//!
//! Invariants: captured ≤ authorized ≤ initiated amount; refunded ≤ captured; one currency.

mod commands;
mod decide;
mod errors;
mod events;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::PaymentCommand;
pub use errors::PaymentError;
pub use events::PaymentEvent;

use crate::Aggregate;
use crate::values::Money;

/// Stream name prefix.
pub const KIND: &str = "payment";

/// The stream of one payment: `payment-<uuid>`.
pub fn stream_id(payment_id: Uuid) -> String {
    format!("{KIND}-{payment_id}")
}

/// How a customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Credit or debit card.
    Card,
    /// A wallet (e.g. a phone wallet).
    Wallet,
}

/// Where a payment is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the provider.
    #[default]
    Initiated,
    /// Funds held.
    Authorized,
    /// Funds taken (possibly partly refunded).
    Captured,
    /// Instrument refused.
    Declined,
    /// Provider error.
    Failed,
    /// Everything captured was refunded.
    Refunded,
}

/// What was fixed when the payment was initiated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiatedPayment {
    /// Payment id.
    pub payment_id: Uuid,
    /// The order paid for.
    pub order_id: Uuid,
    /// Amount to collect.
    pub amount: Money,
    /// How the customer pays.
    pub method: PaymentMethod,
    /// Provider idempotency key.
    pub idempotency_key: String,
}

/// The state of one payment. Serializable for snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    initiated: Option<InitiatedPayment>,
    status: PaymentStatus,
    provider_reference: Option<String>,
    authorized_minor: i64,
    captured_minor: i64,
    refunded_minor: i64,
    refund_ids: BTreeSet<Uuid>,
}

impl Payment {
    /// What was initiated, once the payment exists.
    pub fn initiated(&self) -> Option<&InitiatedPayment> {
        self.initiated.as_ref()
    }

    /// Current status.
    pub fn status(&self) -> PaymentStatus {
        self.status
    }

    /// Authorized amount, in minor units.
    pub fn authorized_minor(&self) -> i64 {
        self.authorized_minor
    }

    /// Sum of captures, in minor units.
    pub fn captured_minor(&self) -> i64 {
        self.captured_minor
    }

    /// Sum of refunds, in minor units.
    pub fn refunded_minor(&self) -> i64 {
        self.refunded_minor
    }
}

impl Aggregate for Payment {
    const KIND: &'static str = KIND;
    type Command = PaymentCommand;
    type Event = PaymentEvent;
    type Error = PaymentError;

    fn decide(&self, command: PaymentCommand) -> Result<Vec<PaymentEvent>, PaymentError> {
        decide::decide(self, command)
    }

    fn evolve(mut self, event: &PaymentEvent) -> Self {
        use PaymentEvent as E;
        match event {
            E::PaymentInitiated {
                payment_id,
                order_id,
                amount,
                method,
                idempotency_key,
                ..
            } => {
                self.initiated = Some(InitiatedPayment {
                    payment_id: *payment_id,
                    order_id: *order_id,
                    amount: *amount,
                    method: *method,
                    idempotency_key: idempotency_key.clone(),
                });
                self.status = PaymentStatus::Initiated;
            }
            E::PaymentAuthorized {
                amount,
                provider_reference,
            } => {
                self.authorized_minor = amount.amount_minor;
                self.provider_reference = Some(provider_reference.clone());
                self.status = PaymentStatus::Authorized;
            }
            E::PaymentCaptured { captured_total, .. } => {
                self.captured_minor = captured_total.amount_minor;
                self.status = PaymentStatus::Captured;
            }
            E::PaymentDeclined { .. } => self.status = PaymentStatus::Declined,
            E::PaymentFailed { .. } => self.status = PaymentStatus::Failed,
            E::PaymentRefunded {
                refund_id,
                refunded_total,
                ..
            } => {
                self.refund_ids.insert(*refund_id);
                self.refunded_minor = refunded_total.amount_minor;
                if self.refunded_minor == self.captured_minor {
                    self.status = PaymentStatus::Refunded;
                }
            }
        }
        self
    }
}
