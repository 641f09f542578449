//! Changing, publishing and deleting an existing product.

use pretty_assertions::assert_eq;

use super::*;

#[test]
fn updating_details_records_only_the_changed_fields() {
    let state = given(two_variants())
        .when(C::UpdateProductDetails {
            name: Some("Wool socks".into()),
            description: Some("Very warm.".into()),
            category: None,
            brand: None,
            attributes: None,
        })
        .then([E::ProductDetailsUpdated {
            name: None,
            description: Some("Very warm.".into()),
            category: None,
            brand: None,
            attributes: None,
        }]);
    assert_eq!(
        state.details().map(|d| d.description.as_str()),
        Some("Very warm.")
    );
}

#[test]
fn updating_details_to_the_current_values_is_a_no_op() {
    given(two_variants())
        .when(C::UpdateProductDetails {
            name: Some("Wool socks".into()),
            description: None,
            category: Some("Socks".into()),
            brand: None,
            attributes: None,
        })
        .then_nothing();
}

#[test]
fn updating_with_no_field_or_an_empty_category_is_refused() {
    given(two_variants())
        .when(no_details())
        .then_err(ProductError::NothingToUpdate);
    given(two_variants())
        .when(C::UpdateProductDetails {
            name: None,
            description: None,
            category: Some(String::new()),
            brand: None,
            attributes: None,
        })
        .then_err(ProductError::InvalidCategory);
}

#[test]
fn adding_a_variant_with_a_new_sku_is_accepted() {
    given(two_variants())
        .when(C::AddVariant {
            variant: variant("S-3", eur(1_499)),
        })
        .then([E::VariantAdded {
            variant: variant("S-3", eur(1_499)),
        }]);
}

#[test]
fn adding_a_variant_with_an_existing_sku_is_a_conflict() {
    given(two_variants())
        .when(C::AddVariant {
            variant: variant("S-2", eur(1)),
        })
        .then_err(ProductError::VariantAlreadyExists { sku: sku("S-2") });
}

#[test]
fn adding_a_variant_in_another_currency_is_a_conflict() {
    given(two_variants())
        .when(C::AddVariant {
            variant: variant("S-3", usd(1)),
        })
        .then_err(ProductError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            actual: Currency::parse("USD").unwrap(),
        });
}

#[test]
fn changing_a_price_records_old_and_new_price() {
    let state = given(two_variants())
        .when(C::ChangeVariantPrice {
            sku: sku("S-1"),
            price: eur(899),
        })
        .then([E::VariantPriceChanged {
            sku: sku("S-1"),
            previous_price: eur(999),
            price: eur(899),
        }]);
    assert_eq!(state.variant(&sku("S-1")).map(|v| v.price), Some(eur(899)));
}

#[test]
fn changing_a_price_to_the_same_price_is_a_no_op() {
    given(two_variants())
        .when(C::ChangeVariantPrice {
            sku: sku("S-1"),
            price: eur(999),
        })
        .then_nothing();
}

#[test]
fn changing_the_price_of_an_unknown_or_retired_variant_is_refused() {
    given(two_variants())
        .when(C::ChangeVariantPrice {
            sku: sku("S-9"),
            price: eur(1),
        })
        .then_err(ProductError::VariantNotFound { sku: sku("S-9") });
    given(with(
        two_variants(),
        [E::VariantRetired { sku: sku("S-1") }],
    ))
    .when(C::ChangeVariantPrice {
        sku: sku("S-1"),
        price: eur(1),
    })
    .then_err(ProductError::VariantRetired { sku: sku("S-1") });
}

#[test]
fn retiring_one_of_two_variants_is_accepted() {
    given(two_variants())
        .when(C::RetireVariant { sku: sku("S-2") })
        .then([E::VariantRetired { sku: sku("S-2") }]);
}

#[test]
fn retiring_the_last_active_variant_is_refused() {
    given(with(
        two_variants(),
        [E::VariantRetired { sku: sku("S-1") }],
    ))
    .when(C::RetireVariant { sku: sku("S-2") })
    .then_err(ProductError::LastActiveVariant);
}

#[test]
fn retiring_a_retired_variant_again_is_a_conflict() {
    given(with(
        two_variants(),
        [E::VariantRetired { sku: sku("S-1") }],
    ))
    .when(C::RetireVariant { sku: sku("S-1") })
    .then_err(ProductError::VariantRetired { sku: sku("S-1") });
}

#[test]
fn publishing_an_unpublished_product_is_accepted() {
    let state = given(two_variants())
        .when(C::PublishProduct {})
        .then([E::ProductPublished {}]);
    assert!(state.is_published());
}

#[test]
fn publishing_twice_is_a_conflict() {
    given(with(two_variants(), [E::ProductPublished {}]))
        .when(C::PublishProduct {})
        .then_err(ProductError::AlreadyPublished);
}

#[test]
fn unpublishing_a_published_product_is_accepted_and_twice_is_a_conflict() {
    given(with(two_variants(), [E::ProductPublished {}]))
        .when(C::UnpublishProduct {})
        .then([E::ProductUnpublished {}]);
    given(two_variants())
        .when(C::UnpublishProduct {})
        .then_err(ProductError::NotPublished);
}

#[test]
fn deleting_a_published_product_also_unpublishes_it() {
    let state = given(with(two_variants(), [E::ProductPublished {}]))
        .when(C::DeleteProduct {})
        .then([E::ProductDeleted {}]);
    assert!(state.is_deleted());
    assert!(!state.is_published());
}

#[test]
fn a_deleted_product_refuses_everything() {
    let deleted = with(two_variants(), [E::ProductDeleted {}]);
    let commands = [
        create(vec![variant("S-1", eur(1))]),
        no_details(),
        C::AddVariant {
            variant: variant("S-3", eur(1)),
        },
        C::RetireVariant { sku: sku("S-1") },
        C::PublishProduct {},
        C::DeleteProduct {},
    ];
    for command in commands {
        given(deleted.clone())
            .when(command)
            .then_err(ProductError::Deleted);
    }
}
