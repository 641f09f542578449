//! The customer decision function.

use uuid::Uuid;

use super::{Customer, CustomerCommand, CustomerError, CustomerEvent, MAX_ADDRESSES, Role};
use crate::values::Address;

type Decision = Result<Vec<CustomerEvent>, CustomerError>;

/// Longest display name, in characters.
const DISPLAY_NAME_MAX: usize = 100;
/// Longest password hash accepted; PHC strings are far shorter.
const PASSWORD_HASH_MAX: usize = 512;

fn display_name(name: &str) -> Result<(), CustomerError> {
    if name.trim().is_empty() || name.chars().count() > DISPLAY_NAME_MAX {
        return Err(CustomerError::InvalidDisplayName);
    }
    Ok(())
}

fn password_hash(hash: &str) -> Result<(), CustomerError> {
    if hash.is_empty() || hash.len() > PASSWORD_HASH_MAX {
        return Err(CustomerError::InvalidPasswordHash);
    }
    Ok(())
}

fn address(address: &Address) -> Result<(), CustomerError> {
    address
        .validate()
        .map_err(|e| CustomerError::InvalidAddress { field: e.field })
}

fn known(customer: &Customer, address_id: Uuid) -> Result<(), CustomerError> {
    if customer.addresses.contains_key(&address_id) {
        Ok(())
    } else {
        Err(CustomerError::AddressNotFound { address_id })
    }
}

pub(super) fn decide(customer: &Customer, command: CustomerCommand) -> Decision {
    use CustomerCommand as C;
    use CustomerEvent as E;
    let Some(profile) = &customer.profile else {
        return match command {
            C::RegisterCustomer {
                customer_id,
                email,
                display_name: name,
                password_hash: hash,
                role,
            } => {
                display_name(&name)?;
                password_hash(&hash)?;
                Ok(vec![E::CustomerRegistered {
                    customer_id,
                    email,
                    display_name: name,
                    password_hash: hash,
                    role,
                }])
            }
            _ => Err(CustomerError::NotFound),
        };
    };
    if customer.deactivated {
        return Err(CustomerError::Deactivated);
    }
    match command {
        C::RegisterCustomer { .. } => Err(CustomerError::AlreadyExists),
        C::UpdateProfile { display_name: name } => {
            display_name(&name)?;
            if name == profile.display_name {
                return Ok(vec![]);
            }
            Ok(vec![E::ProfileUpdated { display_name: name }])
        }
        C::ChangePassword {
            password_hash: hash,
        } => {
            password_hash(&hash)?;
            Ok(vec![E::PasswordChanged {
                password_hash: hash,
            }])
        }
        C::AddAddress {
            address_id,
            address: new,
        } => {
            address(&new)?;
            if customer.addresses.contains_key(&address_id) {
                return Err(CustomerError::AddressAlreadyExists { address_id });
            }
            if customer.addresses.len() >= MAX_ADDRESSES {
                return Err(CustomerError::TooManyAddresses { max: MAX_ADDRESSES });
            }
            let mut events = vec![E::AddressAdded {
                address_id,
                address: new,
            }];
            if customer.default_address.is_none() {
                events.push(E::DefaultAddressSet { address_id });
            }
            Ok(events)
        }
        C::UpdateAddress {
            address_id,
            address: new,
        } => {
            address(&new)?;
            known(customer, address_id)?;
            if customer.addresses.get(&address_id) == Some(&new) {
                return Ok(vec![]);
            }
            Ok(vec![E::AddressUpdated {
                address_id,
                address: new,
            }])
        }
        C::RemoveAddress { address_id } => {
            known(customer, address_id)?;
            Ok(vec![E::AddressRemoved { address_id }])
        }
        C::SetDefaultAddress { address_id } => {
            known(customer, address_id)?;
            if customer.default_address == Some(address_id) {
                return Ok(vec![]);
            }
            Ok(vec![E::DefaultAddressSet { address_id }])
        }
        C::ChangeRole { role, actor_role } => {
            if actor_role != Role::Admin {
                return Err(CustomerError::RoleChangeForbidden);
            }
            if role == profile.role {
                return Ok(vec![]);
            }
            Ok(vec![E::RoleChanged {
                previous_role: profile.role,
                role,
            }])
        }
        C::DeactivateCustomer {} => Ok(vec![E::CustomerDeactivated {}]),
    }
}
