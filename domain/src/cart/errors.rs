//! Why a cart command was refused.

use crate::values::{Currency, Sku};
use crate::{DomainError, ErrorKind};

/// A refused cart command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// No such cart (`cart_not_found`, 404).
    #[error("the cart does not exist")]
    NotFound,
    /// The stream already holds a cart (`cart_already_exists`, 409).
    #[error("the cart already exists")]
    AlreadyExists,
    /// Quantity outside 1..=999 (`invalid_quantity`, 422).
    #[error("a quantity must be between 1 and {max}")]
    InvalidQuantity {
        /// The maximum.
        max: u32,
    },
    /// A negative price (`invalid_price`, 422).
    #[error("a price cannot be negative")]
    NegativePrice,
    /// The SKU is not in the cart (`cart_line_not_found`, 404).
    #[error("SKU {sku} is not in the cart")]
    LineNotFound {
        /// The SKU.
        sku: Sku,
    },
    /// The cart already holds lines in another currency (`currency_mismatch`, 409).
    #[error("the cart is in {expected}, not {actual}")]
    CurrencyMismatch {
        /// The cart's currency.
        expected: Currency,
        /// The currency given.
        actual: Currency,
    },
    /// The cart is full (`too_many_lines`, 409).
    #[error("a cart holds at most {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// A cart merged into itself (`merge_into_itself`, 422).
    #[error("a cart cannot be merged into itself")]
    MergeIntoItself,
}

impl DomainError for CartError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "cart_not_found",
            Self::AlreadyExists => "cart_already_exists",
            Self::InvalidQuantity { .. } => "invalid_quantity",
            Self::NegativePrice => "invalid_price",
            Self::LineNotFound { .. } => "cart_line_not_found",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::TooManyLines { .. } => "too_many_lines",
            Self::MergeIntoItself => "merge_into_itself",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound | Self::LineNotFound { .. } => ErrorKind::NotFound,
            Self::AlreadyExists | Self::CurrencyMismatch { .. } | Self::TooManyLines { .. } => {
                ErrorKind::Conflict
            }
            Self::InvalidQuantity { .. } | Self::NegativePrice | Self::MergeIntoItself => {
                ErrorKind::Invalid
            }
        }
    }
}
