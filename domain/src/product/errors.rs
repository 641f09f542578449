//! Why a product command was refused.

use crate::values::{Currency, Sku};
use crate::{DomainError, ErrorKind};

/// A refused product command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// No such product (`product_not_found`, 404).
    #[error("the product does not exist")]
    NotFound,
    /// The stream already holds a product (`product_already_exists`, 409).
    #[error("the product already exists")]
    AlreadyExists,
    /// The product was deleted (`product_deleted`, 409).
    #[error("the product was deleted")]
    Deleted,
    /// Already published (`already_published`, 409).
    #[error("the product is already published")]
    AlreadyPublished,
    /// Not published (`not_published`, 409).
    #[error("the product is not published")]
    NotPublished,
    /// Name empty or longer than 200 characters (`invalid_name`, 422).
    #[error("a name must be 1 to 200 characters")]
    InvalidName,
    /// Slug not 1..=200 of `[a-z0-9-]` (`invalid_slug`, 422).
    #[error("a slug must be 1 to 200 characters of a-z, 0-9 and '-'")]
    InvalidSlug,
    /// Description longer than 10 000 characters (`description_too_long`, 422).
    #[error("the description is longer than 10000 characters")]
    DescriptionTooLong,
    /// Category empty or longer than 100 characters (`invalid_category`, 422).
    #[error("a category must be 1 to 100 characters")]
    InvalidCategory,
    /// Brand longer than 100 characters (`invalid_brand`, 422).
    #[error("a brand must be at most 100 characters")]
    InvalidBrand,
    /// Attribute with an empty or over-long key, or an over-long value (`invalid_attribute`, 422).
    #[error("attribute {key:?} is invalid (key 1 to 100 characters, value at most 1000)")]
    InvalidAttribute {
        /// The offending key.
        key: String,
    },
    /// A product needs at least one variant (`no_variants`, 422).
    #[error("a product needs at least one variant")]
    NoVariants,
    /// The same SKU twice in one command (`duplicate_sku`, 422).
    #[error("SKU {sku} appears twice")]
    DuplicateSku {
        /// The repeated SKU.
        sku: Sku,
    },
    /// Variant prices in more than one currency (`mixed_currencies`, 422).
    #[error("all variants must be priced in one currency")]
    MixedCurrencies,
    /// A negative price (`invalid_price`, 422).
    #[error("a price cannot be negative")]
    NegativePrice,
    /// Variant name empty or longer than 200 characters (`invalid_variant_name`, 422).
    #[error("a variant name must be 1 to 200 characters")]
    InvalidVariantName,
    /// Nothing to update (`nothing_to_update`, 422).
    #[error("at least one field must be given")]
    NothingToUpdate,
    /// The SKU already belongs to this product (`variant_already_exists`, 409).
    #[error("the product already has SKU {sku}")]
    VariantAlreadyExists {
        /// The SKU.
        sku: Sku,
    },
    /// The product has no such variant (`variant_not_found`, 404).
    #[error("the product has no SKU {sku}")]
    VariantNotFound {
        /// The SKU.
        sku: Sku,
    },
    /// The variant is retired (`variant_retired`, 409).
    #[error("SKU {sku} is retired")]
    VariantRetired {
        /// The SKU.
        sku: Sku,
    },
    /// Retiring would leave no active variant (`last_active_variant`, 409).
    #[error("cannot retire the last active variant")]
    LastActiveVariant,
    /// A price in another currency than the product's (`currency_mismatch`, 409).
    #[error("the product is priced in {expected}, not {actual}")]
    CurrencyMismatch {
        /// The product's currency.
        expected: Currency,
        /// The currency given.
        actual: Currency,
    },
}

impl DomainError for ProductError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "product_not_found",
            Self::AlreadyExists => "product_already_exists",
            Self::Deleted => "product_deleted",
            Self::AlreadyPublished => "already_published",
            Self::NotPublished => "not_published",
            Self::InvalidName => "invalid_name",
            Self::InvalidSlug => "invalid_slug",
            Self::DescriptionTooLong => "description_too_long",
            Self::InvalidCategory => "invalid_category",
            Self::InvalidBrand => "invalid_brand",
            Self::InvalidAttribute { .. } => "invalid_attribute",
            Self::NoVariants => "no_variants",
            Self::DuplicateSku { .. } => "duplicate_sku",
            Self::MixedCurrencies => "mixed_currencies",
            Self::NegativePrice => "invalid_price",
            Self::InvalidVariantName => "invalid_variant_name",
            Self::NothingToUpdate => "nothing_to_update",
            Self::VariantAlreadyExists { .. } => "variant_already_exists",
            Self::VariantNotFound { .. } => "variant_not_found",
            Self::VariantRetired { .. } => "variant_retired",
            Self::LastActiveVariant => "last_active_variant",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound | Self::VariantNotFound { .. } => ErrorKind::NotFound,
            Self::AlreadyExists
            | Self::Deleted
            | Self::AlreadyPublished
            | Self::NotPublished
            | Self::VariantAlreadyExists { .. }
            | Self::VariantRetired { .. }
            | Self::LastActiveVariant
            | Self::CurrencyMismatch { .. } => ErrorKind::Conflict,
            Self::InvalidName
            | Self::InvalidSlug
            | Self::DescriptionTooLong
            | Self::InvalidCategory
            | Self::InvalidBrand
            | Self::InvalidAttribute { .. }
            | Self::NoVariants
            | Self::DuplicateSku { .. }
            | Self::MixedCurrencies
            | Self::NegativePrice
            | Self::InvalidVariantName
            | Self::NothingToUpdate => ErrorKind::Invalid,
        }
    }
}
