//! What happened to an e-mail claim.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::EventType;
use crate::values::Email;

/// A fact about one address. Serialized as `{"type": "EmailClaimed", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum EmailClaimEvent {
    /// The address now belongs to a customer.
    EmailClaimed {
        /// The address.
        email: Email,
        /// Its holder.
        customer_id: Uuid,
    },
    /// The address is free again.
    EmailReleased {
        /// The address.
        email: Email,
        /// The former holder.
        customer_id: Uuid,
    },
}

impl EventType for EmailClaimEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::EmailClaimed { .. } => "EmailClaimed",
            Self::EmailReleased { .. } => "EmailReleased",
        }
    }
}

impl EmailClaimEvent {
    /// Every event type name.
    pub const TYPES: &'static [&'static str] = &["EmailClaimed", "EmailReleased"];
}
