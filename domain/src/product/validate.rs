//! Shape rules for product fields, shared by create and update.

use std::collections::{BTreeMap, BTreeSet};

use super::{NewVariant, ProductError};
use crate::values::Currency;

/// Longest name (product or variant), in characters.
pub const NAME_MAX: usize = 200;
/// Longest slug, in characters.
pub const SLUG_MAX: usize = 200;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 10_000;
/// Longest category or brand, in characters.
pub const LABEL_MAX: usize = 100;
/// Longest attribute key, in characters.
pub const ATTRIBUTE_KEY_MAX: usize = 100;
/// Longest attribute value, in characters.
pub const ATTRIBUTE_VALUE_MAX: usize = 1_000;

fn chars(s: &str) -> usize {
    s.chars().count()
}

pub(super) fn name(name: &str) -> Result<(), ProductError> {
    if name.trim().is_empty() || chars(name) > NAME_MAX {
        return Err(ProductError::InvalidName);
    }
    Ok(())
}

pub(super) fn slug(slug: &str) -> Result<(), ProductError> {
    let ok = !slug.is_empty()
        && slug.len() <= SLUG_MAX
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ProductError::InvalidSlug)
    }
}

pub(super) fn description(description: &str) -> Result<(), ProductError> {
    if chars(description) > DESCRIPTION_MAX {
        return Err(ProductError::DescriptionTooLong);
    }
    Ok(())
}

pub(super) fn category(category: &str) -> Result<(), ProductError> {
    if category.trim().is_empty() || chars(category) > LABEL_MAX {
        return Err(ProductError::InvalidCategory);
    }
    Ok(())
}

pub(super) fn brand(brand: &str) -> Result<(), ProductError> {
    if chars(brand) > LABEL_MAX {
        return Err(ProductError::InvalidBrand);
    }
    Ok(())
}

pub(super) fn attributes(attributes: &BTreeMap<String, String>) -> Result<(), ProductError> {
    for (key, value) in attributes {
        if key.trim().is_empty()
            || chars(key) > ATTRIBUTE_KEY_MAX
            || chars(value) > ATTRIBUTE_VALUE_MAX
        {
            return Err(ProductError::InvalidAttribute { key: key.clone() });
        }
    }
    Ok(())
}

/// One variant's own fields.
pub(super) fn variant(variant: &NewVariant) -> Result<(), ProductError> {
    if variant.name.trim().is_empty() || chars(&variant.name) > NAME_MAX {
        return Err(ProductError::InvalidVariantName);
    }
    if variant.price.is_negative() {
        return Err(ProductError::NegativePrice);
    }
    attributes(&variant.attributes)
}

/// The variant list of a new product; returns its single currency.
pub(super) fn variants(variants: &[NewVariant]) -> Result<Currency, ProductError> {
    let Some(first) = variants.first() else {
        return Err(ProductError::NoVariants);
    };
    let mut seen = BTreeSet::new();
    for v in variants {
        variant(v)?;
        if !seen.insert(&v.sku) {
            return Err(ProductError::DuplicateSku { sku: v.sku.clone() });
        }
        if v.price.currency != first.price.currency {
            return Err(ProductError::MixedCurrencies);
        }
    }
    Ok(first.price.currency)
}
