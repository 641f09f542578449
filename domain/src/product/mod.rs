//! Product: a catalog entry (`product-<uuid>`) with variants (one SKU each), descriptive
//! fields, prices and publish state.
//!
//! Rules: at least one active variant at all times; SKUs unique within the product; every price
//! in one currency and never negative; the slug is fixed at creation; a deleted product refuses
//! every command. Lifecycle repeats (publishing a published product, retiring a retired
//! variant) are conflicts, while value updates that change nothing are no-ops.
//!
//! SKU and slug uniqueness *across* products are set-based rules this aggregate cannot check;
//! inventory registration refuses a SKU already registered to another product.

mod commands;
mod decide;
mod errors;
mod events;
#[cfg(test)]
mod tests;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::{NewVariant, ProductCommand};
pub use errors::ProductError;
pub use events::ProductEvent;

use crate::Aggregate;
use crate::values::{Currency, Money, Sku};

/// Stream name prefix.
pub const KIND: &str = "product";

/// The stream of one product: `product-<uuid>`.
pub fn stream_id(product_id: Uuid) -> String {
    format!("{KIND}-{product_id}")
}

/// One variant of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Its SKU.
    pub sku: Sku,
    /// Display name.
    pub name: String,
    /// Unit price.
    pub price: Money,
    /// Variant attributes.
    pub attributes: BTreeMap<String, String>,
    /// Retired variants cannot be sold or repriced.
    pub retired: bool,
}

/// Descriptive fields of a created product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetails {
    /// Product id.
    pub product_id: Uuid,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Brand (empty when none).
    pub brand: String,
    /// Product attributes.
    pub attributes: BTreeMap<String, String>,
    /// The currency every variant is priced in.
    pub currency: Currency,
}

/// The state of one product. Serializable for snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    details: Option<ProductDetails>,
    variants: Vec<Variant>,
    published: bool,
    deleted: bool,
}

impl Product {
    /// Descriptive fields, once created.
    pub fn details(&self) -> Option<&ProductDetails> {
        self.details.as_ref()
    }

    /// Every variant, retired ones included, in the order they were added.
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// The variant with `sku`.
    pub fn variant(&self, sku: &Sku) -> Option<&Variant> {
        self.variants.iter().find(|v| &v.sku == sku)
    }

    /// True when visible in the storefront.
    pub fn is_published(&self) -> bool {
        self.published
    }

    /// True once soft-deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    fn variant_mut(&mut self, sku: &Sku) -> Option<&mut Variant> {
        self.variants.iter_mut().find(|v| &v.sku == sku)
    }
}

fn variant_from(new: &NewVariant) -> Variant {
    Variant {
        sku: new.sku.clone(),
        name: new.name.clone(),
        price: new.price,
        attributes: new.attributes.clone(),
        retired: false,
    }
}

impl Aggregate for Product {
    const KIND: &'static str = KIND;
    type Command = ProductCommand;
    type Event = ProductEvent;
    type Error = ProductError;

    fn decide(&self, command: ProductCommand) -> Result<Vec<ProductEvent>, ProductError> {
        decide::decide(self, command)
    }

    fn evolve(mut self, event: &ProductEvent) -> Self {
        use ProductEvent as E;
        match event {
            E::ProductCreated {
                product_id,
                name,
                slug,
                description,
                category,
                brand,
                attributes,
                variants,
            } => {
                if let Some(first) = variants.first() {
                    self.details = Some(ProductDetails {
                        product_id: *product_id,
                        name: name.clone(),
                        slug: slug.clone(),
                        description: description.clone(),
                        category: category.clone(),
                        brand: brand.clone(),
                        attributes: attributes.clone(),
                        currency: first.price.currency,
                    });
                }
                self.variants = variants.iter().map(variant_from).collect();
            }
            E::ProductDetailsUpdated {
                name,
                description,
                category,
                brand,
                attributes,
            } => {
                if let Some(d) = self.details.as_mut() {
                    if let Some(v) = name {
                        d.name.clone_from(v);
                    }
                    if let Some(v) = description {
                        d.description.clone_from(v);
                    }
                    if let Some(v) = category {
                        d.category.clone_from(v);
                    }
                    if let Some(v) = brand {
                        d.brand.clone_from(v);
                    }
                    if let Some(v) = attributes {
                        d.attributes.clone_from(v);
                    }
                }
            }
            E::VariantAdded { variant } => self.variants.push(variant_from(variant)),
            E::VariantPriceChanged { sku, price, .. } => {
                if let Some(v) = self.variant_mut(sku) {
                    v.price = *price;
                }
            }
            E::VariantRetired { sku } => {
                if let Some(v) = self.variant_mut(sku) {
                    v.retired = true;
                }
            }
            E::ProductPublished {} => self.published = true,
            E::ProductUnpublished {} => self.published = false,
            E::ProductDeleted {} => {
                self.deleted = true;
                self.published = false;
            }
        }
        self
    }
}
