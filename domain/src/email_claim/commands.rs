//! What callers may ask of an e-mail claim.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::Email;

/// A request about one address. Serialized as `{"type": "ClaimEmail", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EmailClaimCommand {
    /// Reserves the address for a customer (creates the stream on first use). Repeating it for
    /// the holder is a no-op; a free (released) address can be claimed again.
    ClaimEmail {
        /// The address (must match the stream id).
        email: Email,
        /// The customer claiming it.
        customer_id: Uuid,
    },
    /// Frees the address. Releasing a free address is a no-op.
    ReleaseEmail {
        /// The customer that holds it.
        customer_id: Uuid,
    },
}
