//! The product decision function.

use super::validate;
use super::{NewVariant, Product, ProductCommand, ProductDetails, ProductError, ProductEvent};
use crate::values::{Money, Sku};

type Decision = Result<Vec<ProductEvent>, ProductError>;

pub(super) fn decide(product: &Product, command: ProductCommand) -> Decision {
    use ProductCommand as C;
    let Some(details) = &product.details else {
        return match command {
            C::CreateProduct {
                product_id,
                name,
                slug,
                description,
                category,
                brand,
                attributes,
                variants,
            } => {
                validate::name(&name)?;
                validate::slug(&slug)?;
                validate::description(&description)?;
                validate::category(&category)?;
                validate::brand(&brand)?;
                validate::attributes(&attributes)?;
                validate::variants(&variants)?;
                Ok(vec![ProductEvent::ProductCreated {
                    product_id,
                    name,
                    slug,
                    description,
                    category,
                    brand,
                    attributes,
                    variants,
                }])
            }
            _ => Err(ProductError::NotFound),
        };
    };
    if product.deleted {
        return Err(ProductError::Deleted);
    }
    match command {
        C::CreateProduct { .. } => Err(ProductError::AlreadyExists),
        C::UpdateProductDetails {
            name,
            description,
            category,
            brand,
            attributes,
        } => update(
            details,
            Update {
                name,
                description,
                category,
                brand,
                attributes,
            },
        ),
        C::AddVariant { variant } => add_variant(product, details, variant),
        C::ChangeVariantPrice { sku, price } => change_price(product, details, sku, price),
        C::RetireVariant { sku } => retire(product, sku),
        C::PublishProduct {} if product.published => Err(ProductError::AlreadyPublished),
        C::PublishProduct {} => Ok(vec![ProductEvent::ProductPublished {}]),
        C::UnpublishProduct {} if !product.published => Err(ProductError::NotPublished),
        C::UnpublishProduct {} => Ok(vec![ProductEvent::ProductUnpublished {}]),
        C::DeleteProduct {} => Ok(vec![ProductEvent::ProductDeleted {}]),
    }
}

struct Update {
    name: Option<String>,
    description: Option<String>,
    category: Option<String>,
    brand: Option<String>,
    attributes: Option<std::collections::BTreeMap<String, String>>,
}

/// Keeps `new` only when it differs from `current`.
fn changed<T: PartialEq>(new: Option<T>, current: &T) -> Option<T> {
    new.filter(|v| v != current)
}

fn update(details: &ProductDetails, u: Update) -> Decision {
    if u.name.is_none()
        && u.description.is_none()
        && u.category.is_none()
        && u.brand.is_none()
        && u.attributes.is_none()
    {
        return Err(ProductError::NothingToUpdate);
    }
    if let Some(v) = &u.name {
        validate::name(v)?;
    }
    if let Some(v) = &u.description {
        validate::description(v)?;
    }
    if let Some(v) = &u.category {
        validate::category(v)?;
    }
    if let Some(v) = &u.brand {
        validate::brand(v)?;
    }
    if let Some(v) = &u.attributes {
        validate::attributes(v)?;
    }
    let name = changed(u.name, &details.name);
    let description = changed(u.description, &details.description);
    let category = changed(u.category, &details.category);
    let brand = changed(u.brand, &details.brand);
    let attributes = changed(u.attributes, &details.attributes);
    if name.is_none()
        && description.is_none()
        && category.is_none()
        && brand.is_none()
        && attributes.is_none()
    {
        return Ok(vec![]);
    }
    Ok(vec![ProductEvent::ProductDetailsUpdated {
        name,
        description,
        category,
        brand,
        attributes,
    }])
}

fn same_currency(details: &ProductDetails, price: &Money) -> Result<(), ProductError> {
    if price.currency == details.currency {
        Ok(())
    } else {
        Err(ProductError::CurrencyMismatch {
            expected: details.currency,
            actual: price.currency,
        })
    }
}

fn add_variant(product: &Product, details: &ProductDetails, variant: NewVariant) -> Decision {
    validate::variant(&variant)?;
    if product.variant(&variant.sku).is_some() {
        return Err(ProductError::VariantAlreadyExists { sku: variant.sku });
    }
    same_currency(details, &variant.price)?;
    Ok(vec![ProductEvent::VariantAdded { variant }])
}

fn change_price(product: &Product, details: &ProductDetails, sku: Sku, price: Money) -> Decision {
    if price.is_negative() {
        return Err(ProductError::NegativePrice);
    }
    let Some(variant) = product.variant(&sku) else {
        return Err(ProductError::VariantNotFound { sku });
    };
    if variant.retired {
        return Err(ProductError::VariantRetired { sku });
    }
    same_currency(details, &price)?;
    if variant.price == price {
        return Ok(vec![]);
    }
    Ok(vec![ProductEvent::VariantPriceChanged {
        sku,
        previous_price: variant.price,
        price,
    }])
}

fn retire(product: &Product, sku: Sku) -> Decision {
    let Some(variant) = product.variant(&sku) else {
        return Err(ProductError::VariantNotFound { sku });
    };
    if variant.retired {
        return Err(ProductError::VariantRetired { sku });
    }
    let active = product.variants.iter().filter(|v| !v.retired).count();
    if active <= 1 {
        return Err(ProductError::LastActiveVariant);
    }
    Ok(vec![ProductEvent::VariantRetired { sku }])
}
