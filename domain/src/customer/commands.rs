//! What callers may ask of a customer.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;
use crate::values::{Address, Email};

/// A request about one customer. Serialized as `{"type": "RegisterCustomer", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CustomerCommand {
    /// Opens the customer's stream. The e-mail must have been claimed for this customer first
    /// (see `email_claim`); the password is hashed by the caller (argon2id), never sent here.
    RegisterCustomer {
        /// New customer id.
        customer_id: Uuid,
        /// Login address.
        email: Email,
        /// Name shown in the storefront, 1..=100 characters.
        display_name: String,
        /// PHC-format password hash computed by the caller.
        password_hash: String,
        /// Initial role; `customer` unless the admin bootstrap CLI says otherwise.
        #[serde(default)]
        role: Role,
    },
    /// Changes profile fields.
    UpdateProfile {
        /// New display name, 1..=100 characters. Setting the current name is a no-op.
        display_name: String,
    },
    /// Replaces the password hash.
    ChangePassword {
        /// New PHC-format hash.
        password_hash: String,
    },
    /// Adds an address to the address book; the first one becomes the default.
    AddAddress {
        /// Id of the new entry (from the caller).
        address_id: Uuid,
        /// The address.
        address: Address,
    },
    /// Replaces an address-book entry. Setting the same address is a no-op.
    UpdateAddress {
        /// Which entry.
        address_id: Uuid,
        /// The new address.
        address: Address,
    },
    /// Removes an address-book entry; removing the default leaves no default.
    RemoveAddress {
        /// Which entry.
        address_id: Uuid,
    },
    /// Makes an entry the default shipping address. Setting the current default is a no-op.
    SetDefaultAddress {
        /// Which entry.
        address_id: Uuid,
    },
    /// Changes the customer's role. Only an admin may do it, so the command carries the
    /// acting user's role as authenticated by the caller.
    ChangeRole {
        /// The new role.
        role: Role,
        /// The role of whoever issues the command.
        actor_role: Role,
    },
    /// Deactivates the account: every later command is refused.
    DeactivateCustomer {},
}
