//! What happened to a product.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::NewVariant;
use crate::EventType;
use crate::values::{Money, Sku};

/// A fact about a product. Serialized as `{"type": "ProductCreated", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum ProductEvent {
    /// The product exists, unpublished.
    ProductCreated {
        /// Product id.
        product_id: Uuid,
        /// Display name.
        name: String,
        /// URL slug.
        slug: String,
        /// Description.
        description: String,
        /// Category.
        category: String,
        /// Brand (empty when none).
        brand: String,
        /// Product attributes.
        attributes: BTreeMap<String, String>,
        /// Initial variants.
        variants: Vec<NewVariant>,
    },
    /// Descriptive fields changed; only changed fields are present.
    ProductDetailsUpdated {
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
        /// New attributes (the whole map).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attributes: Option<BTreeMap<String, String>>,
    },
    /// A variant was added.
    VariantAdded {
        /// The variant.
        variant: NewVariant,
    },
    /// A variant's price changed.
    VariantPriceChanged {
        /// Which variant.
        sku: Sku,
        /// Price before.
        previous_price: Money,
        /// Price now.
        price: Money,
    },
    /// A variant was retired.
    VariantRetired {
        /// Which variant.
        sku: Sku,
    },
    /// The product became visible.
    ProductPublished {},
    /// The product was hidden.
    ProductUnpublished {},
    /// The product was soft-deleted (and is no longer published).
    ProductDeleted {},
}

impl EventType for ProductEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::ProductCreated { .. } => "ProductCreated",
            Self::ProductDetailsUpdated { .. } => "ProductDetailsUpdated",
            Self::VariantAdded { .. } => "VariantAdded",
            Self::VariantPriceChanged { .. } => "VariantPriceChanged",
            Self::VariantRetired { .. } => "VariantRetired",
            Self::ProductPublished {} => "ProductPublished",
            Self::ProductUnpublished {} => "ProductUnpublished",
            Self::ProductDeleted {} => "ProductDeleted",
        }
    }
}

impl ProductEvent {
    /// Every event type name, for schema generation and routing tables.
    pub const TYPES: &'static [&'static str] = &[
        "ProductCreated",
        "ProductDetailsUpdated",
        "VariantAdded",
        "VariantPriceChanged",
        "VariantRetired",
        "ProductPublished",
        "ProductUnpublished",
        "ProductDeleted",
    ];
}
