//! Customer: an account (`customer-<uuid>`) with profile, password hash, address book and role.
//!
//! Rules: e-mail uniqueness lives in [`crate::email_claim`]; only an admin actor may change a
//! role; a deactivated account refuses every command; at most [`MAX_ADDRESSES`] addresses, and
//! the default (if any) is always one of them.

mod commands;
mod decide;
mod errors;
mod events;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::CustomerCommand;
pub use errors::CustomerError;
pub use events::CustomerEvent;

use crate::Aggregate;
use crate::values::{Address, Email};

/// Stream name prefix.
pub const KIND: &str = "customer";

/// Most addresses one customer may keep.
pub const MAX_ADDRESSES: usize = 20;

/// The stream of one customer: `customer-<uuid>`.
pub fn stream_id(customer_id: Uuid) -> String {
    format!("{KIND}-{customer_id}")
}

/// What a user may do.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Shops.
    #[default]
    Customer,
    /// Runs the shop (catalog, orders, inventory).
    Staff,
    /// Everything, including roles.
    Admin,
}

/// Profile of a registered customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Customer id.
    pub customer_id: Uuid,
    /// Login address.
    pub email: Email,
    /// Display name.
    pub display_name: String,
    /// Password hash.
    pub password_hash: String,
    /// Role.
    pub role: Role,
}

/// The state of one customer. Serializable for snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    profile: Option<Profile>,
    addresses: BTreeMap<Uuid, Address>,
    default_address: Option<Uuid>,
    deactivated: bool,
}

impl Customer {
    /// The profile, once registered.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    /// The address book.
    pub fn addresses(&self) -> &BTreeMap<Uuid, Address> {
        &self.addresses
    }

    /// The default address id.
    pub fn default_address(&self) -> Option<Uuid> {
        self.default_address
    }

    /// True once deactivated.
    pub fn is_deactivated(&self) -> bool {
        self.deactivated
    }
}

impl Aggregate for Customer {
    const KIND: &'static str = KIND;
    type Command = CustomerCommand;
    type Event = CustomerEvent;
    type Error = CustomerError;

    fn decide(&self, command: CustomerCommand) -> Result<Vec<CustomerEvent>, CustomerError> {
        decide::decide(self, command)
    }

    fn evolve(mut self, event: &CustomerEvent) -> Self {
        use CustomerEvent as E;
        match event {
            E::CustomerRegistered {
                customer_id,
                email,
                display_name,
                password_hash,
                role,
            } => {
                self.profile = Some(Profile {
                    customer_id: *customer_id,
                    email: email.clone(),
                    display_name: display_name.clone(),
                    password_hash: password_hash.clone(),
                    role: *role,
                });
            }
            E::ProfileUpdated { display_name } => {
                if let Some(p) = self.profile.as_mut() {
                    p.display_name.clone_from(display_name);
                }
            }
            E::PasswordChanged { password_hash } => {
                if let Some(p) = self.profile.as_mut() {
                    p.password_hash.clone_from(password_hash);
                }
            }
            E::AddressAdded {
                address_id,
                address,
            }
            | E::AddressUpdated {
                address_id,
                address,
            } => {
                self.addresses.insert(*address_id, address.clone());
            }
            E::AddressRemoved { address_id } => {
                self.addresses.remove(address_id);
                if self.default_address == Some(*address_id) {
                    self.default_address = None;
                }
            }
            E::DefaultAddressSet { address_id } => self.default_address = Some(*address_id),
            E::RoleChanged { role, .. } => {
                if let Some(p) = self.profile.as_mut() {
                    p.role = *role;
                }
            }
            E::CustomerDeactivated {} => self.deactivated = true,
        }
        self
    }
}
