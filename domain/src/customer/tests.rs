//! Customer rules, one sentence per test.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use crate::values::fixtures::address;
use CustomerCommand as C;
use CustomerEvent as E;

const ID: Uuid = Uuid::from_u128(7);
const HOME: Uuid = Uuid::from_u128(100);
const WORK: Uuid = Uuid::from_u128(101);

fn given(events: impl IntoIterator<Item = CustomerEvent>) -> Given<Customer> {
    testing::given(events)
}

fn email() -> Email {
    Email::parse("ada@example.com").unwrap()
}

fn registered() -> CustomerEvent {
    E::CustomerRegistered {
        customer_id: ID,
        email: email(),
        display_name: "Ada".into(),
        password_hash: "$argon2id$v=19$stub".into(),
        role: Role::Customer,
    }
}

fn with_home() -> Vec<CustomerEvent> {
    vec![
        registered(),
        E::AddressAdded {
            address_id: HOME,
            address: address(),
        },
        E::DefaultAddressSet { address_id: HOME },
    ]
}

#[test]
fn stream_id_is_kind_and_uuid() {
    assert_eq!(stream_id(ID), format!("customer-{ID}"));
}

#[test]
fn registering_a_customer_is_accepted_with_the_customer_role_by_default() {
    let command: CustomerCommand = serde_json::from_value(serde_json::json!({
        "type": "RegisterCustomer",
        "data": {"customer_id": ID, "email": "Ada@Example.com", "display_name": "Ada",
                 "password_hash": "$argon2id$v=19$stub"}
    }))
    .unwrap();
    given([]).when(command).then([registered()]);
}

#[test]
fn registering_with_an_empty_display_name_or_hash_is_refused() {
    given([])
        .when(C::RegisterCustomer {
            customer_id: ID,
            email: email(),
            display_name: " ".into(),
            password_hash: "h".into(),
            role: Role::Customer,
        })
        .then_err(CustomerError::InvalidDisplayName);
    given([])
        .when(C::RegisterCustomer {
            customer_id: ID,
            email: email(),
            display_name: "Ada".into(),
            password_hash: String::new(),
            role: Role::Customer,
        })
        .then_err(CustomerError::InvalidPasswordHash);
}

#[test]
fn registering_an_existing_customer_again_is_a_conflict() {
    given([registered()])
        .when(C::RegisterCustomer {
            customer_id: ID,
            email: email(),
            display_name: "Ada".into(),
            password_hash: "h".into(),
            role: Role::Customer,
        })
        .then_err(CustomerError::AlreadyExists);
}

#[test]
fn commands_on_a_missing_customer_are_not_found() {
    given([])
        .when(C::UpdateProfile {
            display_name: "A".into(),
        })
        .then_err(CustomerError::NotFound);
    given([])
        .when(C::DeactivateCustomer {})
        .then_err(CustomerError::NotFound);
}

#[test]
fn updating_the_display_name_is_accepted_and_repeating_it_is_a_no_op() {
    given([registered()])
        .when(C::UpdateProfile {
            display_name: "Countess".into(),
        })
        .then([E::ProfileUpdated {
            display_name: "Countess".into(),
        }]);
    given([registered()])
        .when(C::UpdateProfile {
            display_name: "Ada".into(),
        })
        .then_nothing();
}

#[test]
fn changing_the_password_records_the_new_hash() {
    given([registered()])
        .when(C::ChangePassword {
            password_hash: "new".into(),
        })
        .then([E::PasswordChanged {
            password_hash: "new".into(),
        }]);
}

#[test]
fn the_first_address_becomes_the_default() {
    let state = given([registered()])
        .when(C::AddAddress {
            address_id: HOME,
            address: address(),
        })
        .then([
            E::AddressAdded {
                address_id: HOME,
                address: address(),
            },
            E::DefaultAddressSet { address_id: HOME },
        ]);
    assert_eq!(state.default_address(), Some(HOME));
}

#[test]
fn a_second_address_does_not_change_the_default() {
    given(with_home())
        .when(C::AddAddress {
            address_id: WORK,
            address: address(),
        })
        .then([E::AddressAdded {
            address_id: WORK,
            address: address(),
        }]);
}

#[test]
fn adding_an_invalid_or_duplicate_address_is_refused() {
    let mut bad = address();
    bad.country = "Germany".into();
    given([registered()])
        .when(C::AddAddress {
            address_id: HOME,
            address: bad,
        })
        .then_err(CustomerError::InvalidAddress { field: "country" });
    given(with_home())
        .when(C::AddAddress {
            address_id: HOME,
            address: address(),
        })
        .then_err(CustomerError::AddressAlreadyExists { address_id: HOME });
}

#[test]
fn the_address_book_is_limited() {
    let mut history = vec![registered()];
    for i in 0..MAX_ADDRESSES {
        history.push(E::AddressAdded {
            address_id: Uuid::from_u128(1_000 + i as u128),
            address: address(),
        });
    }
    given(history)
        .when(C::AddAddress {
            address_id: HOME,
            address: address(),
        })
        .then_err(CustomerError::TooManyAddresses { max: MAX_ADDRESSES });
}

#[test]
fn updating_an_address_is_accepted_and_an_unknown_one_is_not_found() {
    let mut moved = address();
    moved.city = "Paris".into();
    moved.country = "FR".into();
    given(with_home())
        .when(C::UpdateAddress {
            address_id: HOME,
            address: moved.clone(),
        })
        .then([E::AddressUpdated {
            address_id: HOME,
            address: moved.clone(),
        }]);
    given(with_home())
        .when(C::UpdateAddress {
            address_id: WORK,
            address: moved,
        })
        .then_err(CustomerError::AddressNotFound { address_id: WORK });
}

#[test]
fn removing_the_default_address_leaves_no_default() {
    let state = given(with_home())
        .when(C::RemoveAddress { address_id: HOME })
        .then([E::AddressRemoved { address_id: HOME }]);
    assert_eq!(state.default_address(), None);
    assert!(state.addresses().is_empty());
}

#[test]
fn setting_an_unknown_default_address_is_not_found() {
    given(with_home())
        .when(C::SetDefaultAddress { address_id: WORK })
        .then_err(CustomerError::AddressNotFound { address_id: WORK });
    given(with_home())
        .when(C::SetDefaultAddress { address_id: HOME })
        .then_nothing();
}

#[test]
fn an_admin_may_change_a_role() {
    given([registered()])
        .when(C::ChangeRole {
            role: Role::Staff,
            actor_role: Role::Admin,
        })
        .then([E::RoleChanged {
            previous_role: Role::Customer,
            role: Role::Staff,
        }]);
}

#[test]
fn staff_and_customers_may_not_change_roles() {
    for actor_role in [Role::Staff, Role::Customer] {
        given([registered()])
            .when(C::ChangeRole {
                role: Role::Admin,
                actor_role,
            })
            .then_err(CustomerError::RoleChangeForbidden);
    }
}

#[test]
fn a_deactivated_customer_refuses_every_command() {
    let state = given([registered()])
        .when(C::DeactivateCustomer {})
        .then([E::CustomerDeactivated {}]);
    assert!(state.is_deactivated());
    given([registered(), E::CustomerDeactivated {}])
        .when(C::DeactivateCustomer {})
        .then_err(CustomerError::Deactivated);
    given([registered(), E::CustomerDeactivated {}])
        .when(C::ChangePassword {
            password_hash: "x".into(),
        })
        .then_err(CustomerError::Deactivated);
}

#[test]
fn roles_serialize_in_snake_case() {
    assert_eq!(serde_json::to_value(Role::Admin).unwrap(), "admin");
}
