//! What callers may ask of a product.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{Money, Sku};

/// A variant as given when creating a product or adding a variant (also carried by events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NewVariant {
    /// Stock keeping unit, unique within the product.
    pub sku: Sku,
    /// Display name, 1..=200 characters.
    pub name: String,
    /// Unit price, not negative, in the product's currency.
    pub price: Money,
    /// Variant attributes such as `{"size": "M"}`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// A request to change a product. Serialized as `{"type": "CreateProduct", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ProductCommand {
    /// Opens the product's stream, unpublished.
    CreateProduct {
        /// Id of the new product (derived by the caller, so a retried create hits the same stream).
        product_id: Uuid,
        /// Display name, 1..=200 characters.
        name: String,
        /// URL slug: 1..=200 of `[a-z0-9-]`. Fixed at creation.
        slug: String,
        /// Free text, at most 10 000 characters.
        description: String,
        /// Category name, 1..=100 characters.
        category: String,
        /// Brand name, at most 100 characters (empty when none).
        brand: String,
        /// Product attributes such as `{"material": "wool"}`.
        #[serde(default)]
        attributes: BTreeMap<String, String>,
        /// At least one variant; unique SKUs; one currency.
        variants: Vec<NewVariant>,
    },
    /// Changes descriptive fields; at least one must be given. Unchanged values are ignored.
    UpdateProductDetails {
        /// New name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// New description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// New category.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        /// New brand.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand: Option<String>,
        /// New attributes (replace the whole map).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attributes: Option<BTreeMap<String, String>>,
    },
    /// Adds a variant with a SKU new to this product, priced in the product's currency.
    AddVariant {
        /// The variant.
        variant: NewVariant,
    },
    /// Changes an active variant's price. Setting the current price is a no-op.
    ChangeVariantPrice {
        /// Which variant.
        sku: Sku,
        /// New price, not negative, in the product's currency.
        price: Money,
    },
    /// Retires a variant: it stays in history but can no longer be sold.
    RetireVariant {
        /// Which variant.
        sku: Sku,
    },
    /// Makes the product visible in the storefront.
    PublishProduct {},
    /// Hides the product from the storefront.
    UnpublishProduct {},
    /// Soft-deletes the product: every later command is refused.
    DeleteProduct {},
}
