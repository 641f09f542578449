//! Product rules, one sentence per test.
#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

mod lifecycle;

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use crate::values::Currency;
use crate::{DomainError, ErrorKind, EventType};
use ProductCommand as C;
use ProductEvent as E;

pub(super) const ID: Uuid = Uuid::from_u128(0xF00D);

pub(super) fn given(events: impl IntoIterator<Item = ProductEvent>) -> Given<Product> {
    testing::given(events)
}

pub(super) fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap()
}

pub(super) fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

pub(super) fn usd(amount: i64) -> Money {
    Money::new(amount, Currency::parse("USD").unwrap())
}

pub(super) fn variant(code: &str, price: Money) -> NewVariant {
    NewVariant {
        sku: sku(code),
        name: format!("Variant {code}"),
        price,
        attributes: BTreeMap::from([("size".to_owned(), "M".to_owned())]),
    }
}

pub(super) fn create(variants: Vec<NewVariant>) -> ProductCommand {
    C::CreateProduct {
        product_id: ID,
        name: "Wool socks".into(),
        slug: "wool-socks".into(),
        description: "Warm.".into(),
        category: "Socks".into(),
        brand: "Agora".into(),
        attributes: BTreeMap::from([("material".to_owned(), "wool".to_owned())]),
        variants,
    }
}

pub(super) fn created(variants: Vec<NewVariant>) -> ProductEvent {
    E::ProductCreated {
        product_id: ID,
        name: "Wool socks".into(),
        slug: "wool-socks".into(),
        description: "Warm.".into(),
        category: "Socks".into(),
        brand: "Agora".into(),
        attributes: BTreeMap::from([("material".to_owned(), "wool".to_owned())]),
        variants,
    }
}

/// A product with two active EUR variants, unpublished.
pub(super) fn two_variants() -> Vec<ProductEvent> {
    vec![created(vec![
        variant("S-1", eur(999)),
        variant("S-2", eur(1_299)),
    ])]
}

pub(super) fn with(
    mut base: Vec<ProductEvent>,
    more: impl IntoIterator<Item = ProductEvent>,
) -> Vec<ProductEvent> {
    base.extend(more);
    base
}

pub(super) fn no_details() -> ProductCommand {
    C::UpdateProductDetails {
        name: None,
        description: None,
        category: None,
        brand: None,
        attributes: None,
    }
}

#[test]
fn stream_id_is_kind_and_uuid() {
    assert_eq!(stream_id(ID), format!("product-{ID}"));
}

#[test]
fn creating_a_product_with_valid_variants_is_accepted() {
    let variants = vec![variant("S-1", eur(999)), variant("S-2", eur(1_299))];
    let state = given([])
        .when(create(variants.clone()))
        .then([created(variants)]);
    assert_eq!(
        state.details().map(|d| d.currency),
        Currency::parse("EUR").ok()
    );
    assert!(!state.is_published());
    assert_eq!(state.variants().len(), 2);
}

#[test]
fn creating_a_product_without_variants_is_refused() {
    given([])
        .when(create(vec![]))
        .then_err(ProductError::NoVariants);
}

#[test]
fn creating_a_product_with_a_repeated_sku_is_refused() {
    given([])
        .when(create(vec![variant("S-1", eur(1)), variant("s-1", eur(2))]))
        .then_err(ProductError::DuplicateSku { sku: sku("S-1") });
}

#[test]
fn creating_a_product_priced_in_two_currencies_is_refused() {
    given([])
        .when(create(vec![variant("S-1", eur(1)), variant("S-2", usd(1))]))
        .then_err(ProductError::MixedCurrencies);
}

#[test]
fn creating_a_product_with_a_bad_slug_or_name_is_refused() {
    for bad in ["", "Wool-Socks", "wool socks", "wool_socks"] {
        let mut command = create(vec![variant("S-1", eur(1))]);
        if let C::CreateProduct { slug, .. } = &mut command {
            *slug = bad.to_owned();
        }
        given([]).when(command).then_err(ProductError::InvalidSlug);
    }
    for bad in [" ".to_owned(), "x".repeat(201)] {
        let mut command = create(vec![variant("S-1", eur(1))]);
        if let C::CreateProduct { name, .. } = &mut command {
            *name = bad;
        }
        given([]).when(command).then_err(ProductError::InvalidName);
    }
}

#[test]
fn creating_a_product_with_a_negative_price_is_refused() {
    given([])
        .when(create(vec![variant("S-1", eur(-1))]))
        .then_err(ProductError::NegativePrice);
}

#[test]
fn creating_an_existing_product_again_is_a_conflict() {
    given(two_variants())
        .when(create(vec![variant("S-1", eur(1))]))
        .then_err(ProductError::AlreadyExists);
}

#[test]
fn every_command_but_create_on_a_missing_product_is_not_found() {
    let commands = [
        no_details(),
        C::AddVariant {
            variant: variant("S-3", eur(1)),
        },
        C::ChangeVariantPrice {
            sku: sku("S-1"),
            price: eur(1),
        },
        C::RetireVariant { sku: sku("S-1") },
        C::PublishProduct {},
        C::UnpublishProduct {},
        C::DeleteProduct {},
    ];
    for command in commands {
        given([]).when(command).then_err(ProductError::NotFound);
    }
    assert_eq!(ProductError::NotFound.code(), "product_not_found");
    assert_eq!(ProductError::NotFound.kind(), ErrorKind::NotFound);
}

#[test]
fn field_less_commands_and_events_carry_an_empty_data_object() {
    let json = serde_json::to_value(ProductEvent::ProductPublished {}).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "ProductPublished", "data": {}})
    );
    let command: ProductCommand =
        serde_json::from_value(serde_json::json!({"type": "PublishProduct", "data": {}})).unwrap();
    assert_eq!(command, C::PublishProduct {});
}

#[test]
fn product_events_round_trip_through_json() {
    for event in with(
        two_variants(),
        [
            E::VariantPriceChanged {
                sku: sku("S-1"),
                previous_price: eur(1),
                price: eur(2),
            },
            E::ProductDetailsUpdated {
                name: Some("n".into()),
                description: None,
                category: None,
                brand: None,
                attributes: None,
            },
        ],
    ) {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<ProductEvent>(json).unwrap(), event);
    }
}

#[test]
fn error_codes_are_distinct() {
    let errors = [
        ProductError::NotFound,
        ProductError::AlreadyExists,
        ProductError::Deleted,
        ProductError::AlreadyPublished,
        ProductError::NotPublished,
        ProductError::NothingToUpdate,
        ProductError::LastActiveVariant,
    ];
    let codes: std::collections::BTreeSet<_> = errors.iter().map(DomainError::code).collect();
    assert_eq!(codes.len(), errors.len());
}
