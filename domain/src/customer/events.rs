//! What happened to a customer.
//!
//! `CustomerRegistered` and `PasswordChanged` carry the password hash (the log is the source of
//! truth for login); projections other than identity must not copy it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;
use crate::EventType;
use crate::values::{Address, Email};

/// A fact about one customer. Serialized as `{"type": "CustomerRegistered", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum CustomerEvent {
    /// The account exists.
    CustomerRegistered {
        /// Customer id.
        customer_id: Uuid,
        /// Login address.
        email: Email,
        /// Display name.
        display_name: String,
        /// Password hash.
        password_hash: String,
        /// Initial role.
        role: Role,
    },
    /// Profile fields changed.
    ProfileUpdated {
        /// New display name.
        display_name: String,
    },
    /// The password changed.
    PasswordChanged {
        /// New hash.
        password_hash: String,
    },
    /// An address was added.
    AddressAdded {
        /// Entry id.
        address_id: Uuid,
        /// The address.
        address: Address,
    },
    /// An address was replaced.
    AddressUpdated {
        /// Entry id.
        address_id: Uuid,
        /// The new address.
        address: Address,
    },
    /// An address was removed (and, if it was the default, there is no default now).
    AddressRemoved {
        /// Entry id.
        address_id: Uuid,
    },
    /// The default shipping address changed.
    DefaultAddressSet {
        /// Entry id.
        address_id: Uuid,
    },
    /// The role changed.
    RoleChanged {
        /// Role before.
        previous_role: Role,
        /// Role now.
        role: Role,
    },
    /// The account was deactivated.
    CustomerDeactivated {},
}

impl EventType for CustomerEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::CustomerRegistered { .. } => "CustomerRegistered",
            Self::ProfileUpdated { .. } => "ProfileUpdated",
            Self::PasswordChanged { .. } => "PasswordChanged",
            Self::AddressAdded { .. } => "AddressAdded",
            Self::AddressUpdated { .. } => "AddressUpdated",
            Self::AddressRemoved { .. } => "AddressRemoved",
            Self::DefaultAddressSet { .. } => "DefaultAddressSet",
            Self::RoleChanged { .. } => "RoleChanged",
            Self::CustomerDeactivated {} => "CustomerDeactivated",
        }
    }
}

impl CustomerEvent {
    /// Every event type name.
    pub const TYPES: &'static [&'static str] = &[
        "CustomerRegistered",
        "ProfileUpdated",
        "PasswordChanged",
        "AddressAdded",
        "AddressUpdated",
        "AddressRemoved",
        "DefaultAddressSet",
        "RoleChanged",
        "CustomerDeactivated",
    ];
}
