//! Why a coupon command was refused.

use crate::{DomainError, ErrorKind};

/// A refused coupon command. (Refused *redemptions* are events, see
/// [`super::RefusalReason`].)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    /// No such coupon (`coupon_not_found`, 404).
    #[error("the coupon does not exist")]
    NotFound,
    /// The stream already holds a coupon (`coupon_already_exists`, 409).
    #[error("the coupon already exists")]
    AlreadyExists,
    /// Already disabled (`coupon_disabled`, 409).
    #[error("the coupon is disabled")]
    Disabled,
    /// Percentage outside 1..=10 000 bp, or a fixed amount not above zero
    /// (`invalid_discount`, 422).
    #[error("a discount is 1 to 10000 basis points or a positive amount")]
    InvalidDiscount,
    /// Negative minimum, or minimum and fixed amount in different currencies
    /// (`invalid_min_order_value`, 422).
    #[error("the minimum order value must be non-negative and in the discount currency")]
    InvalidMinOrderValue,
    /// `valid_until` not after `valid_from` (`invalid_validity`, 422).
    #[error("the validity window must end after it starts")]
    InvalidValidity,
    /// A limit of zero (`invalid_limit`, 422).
    #[error("a limit must be at least 1")]
    InvalidLimit,
    /// Negative subtotal (`invalid_subtotal`, 422).
    #[error("the subtotal cannot be negative")]
    InvalidSubtotal,
}

impl DomainError for CouponError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "coupon_not_found",
            Self::AlreadyExists => "coupon_already_exists",
            Self::Disabled => "coupon_disabled",
            Self::InvalidDiscount => "invalid_discount",
            Self::InvalidMinOrderValue => "invalid_min_order_value",
            Self::InvalidValidity => "invalid_validity",
            Self::InvalidLimit => "invalid_limit",
            Self::InvalidSubtotal => "invalid_subtotal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound => ErrorKind::NotFound,
            Self::AlreadyExists | Self::Disabled => ErrorKind::Conflict,
            Self::InvalidDiscount
            | Self::InvalidMinOrderValue
            | Self::InvalidValidity
            | Self::InvalidLimit
            | Self::InvalidSubtotal => ErrorKind::Invalid,
        }
    }
}
