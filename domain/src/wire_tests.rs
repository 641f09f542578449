//! Wire-shape checks shared by every aggregate: each event enum yields a JSON Schema with one
//! alternative per listed type, and every type name is unique across aggregates (the envelope's
//! `type` field alone identifies an event).

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use std::collections::BTreeSet;

use schemars::JsonSchema;

use crate::{cart, coupon, customer, email_claim, inventory, order, payment, product};

fn alternatives<T: JsonSchema>() -> usize {
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
    schema["oneOf"].as_array().map_or(0, Vec::len)
}

#[test]
fn every_event_enum_has_a_schema_alternative_per_type() {
    let cases = [
        (alternatives::<cart::CartEvent>(), cart::CartEvent::TYPES),
        (
            alternatives::<coupon::CouponEvent>(),
            coupon::CouponEvent::TYPES,
        ),
        (
            alternatives::<customer::CustomerEvent>(),
            customer::CustomerEvent::TYPES,
        ),
        (
            alternatives::<email_claim::EmailClaimEvent>(),
            email_claim::EmailClaimEvent::TYPES,
        ),
        (
            alternatives::<inventory::InventoryEvent>(),
            inventory::InventoryEvent::TYPES,
        ),
        (
            alternatives::<order::OrderEvent>(),
            order::OrderEvent::TYPES,
        ),
        (
            alternatives::<payment::PaymentEvent>(),
            payment::PaymentEvent::TYPES,
        ),
        (
            alternatives::<product::ProductEvent>(),
            product::ProductEvent::TYPES,
        ),
    ];
    for (count, types) in cases {
        assert_eq!(count, types.len(), "{types:?}");
    }
}

#[test]
fn event_type_names_are_unique_across_aggregates() {
    let all: Vec<&str> = [
        cart::CartEvent::TYPES,
        coupon::CouponEvent::TYPES,
        customer::CustomerEvent::TYPES,
        email_claim::EmailClaimEvent::TYPES,
        inventory::InventoryEvent::TYPES,
        order::OrderEvent::TYPES,
        payment::PaymentEvent::TYPES,
        product::ProductEvent::TYPES,
    ]
    .concat();
    let unique: BTreeSet<&str> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len());
}

#[test]
fn the_sku_schema_carries_its_pattern() {
    let schema = serde_json::to_value(schemars::schema_for!(crate::values::Sku)).unwrap();
    assert_eq!(schema["pattern"], "^[A-Z0-9-]{1,64}$");
    assert_eq!(schema["maxLength"], 64);
}
