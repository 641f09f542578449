//! Why an order command was refused.

use super::OrderStatus;
use crate::values::Money;
use crate::{DomainError, ErrorKind};

/// A refused order command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// No such order (`order_not_found`, 404).
    #[error("the order does not exist")]
    NotFound,
    /// The stream already holds an order (`order_already_exists`, 409).
    #[error("the order already exists")]
    AlreadyExists,
    /// The order's status forbids the command (`invalid_transition`, 409).
    #[error("cannot {action} an order that is {from:?}")]
    InvalidTransition {
        /// Current status.
        from: OrderStatus,
        /// What was attempted, e.g. `ship`.
        action: &'static str,
    },
    /// An order needs at least one line (`no_lines`, 422).
    #[error("an order needs at least one line")]
    NoLines,
    /// More lines than allowed (`too_many_lines`, 422).
    #[error("an order has at most {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// Two lines with the same number (`duplicate_line`, 422).
    #[error("line {line} appears twice")]
    DuplicateLine {
        /// The line number.
        line: u32,
    },
    /// A line with zero units (`invalid_quantity`, 422).
    #[error("line {line} has no units")]
    ZeroQuantity {
        /// The line number.
        line: u32,
    },
    /// A negative amount (`invalid_price`, 422).
    #[error("amounts cannot be negative")]
    NegativeAmount,
    /// Amounts in more than one currency (`mixed_currencies`, 422).
    #[error("all amounts must be in one currency")]
    MixedCurrencies,
    /// `subtotal` is not the sum of the lines (`subtotal_mismatch`, 422).
    #[error("the subtotal should be {expected}")]
    SubtotalMismatch {
        /// The correct subtotal.
        expected: Money,
    },
    /// Discount above the subtotal, or without a coupon (`invalid_discount`, 422).
    #[error("the discount must be between zero and the subtotal, and needs a coupon")]
    InvalidDiscount,
    /// `total` is not `subtotal − discount` (`total_mismatch`, 422).
    #[error("the total should be {expected}")]
    TotalMismatch {
        /// The correct total.
        expected: Money,
    },
    /// An amount does not fit in 64-bit minor units (`amount_overflow`, 422).
    #[error("amount overflow")]
    AmountOverflow,
    /// A shipping address field breaks a rule (`invalid_address`, 422).
    #[error("address field {field} is invalid")]
    InvalidAddress {
        /// The offending field.
        field: &'static str,
    },
    /// The order has no such line (`unknown_line`, 422).
    #[error("the order has no line {line}")]
    UnknownLine {
        /// The line number.
        line: u32,
    },
    /// The captured amount is not the order total (`payment_amount_mismatch`, 409).
    #[error("paid {actual}, but the order total is {expected}")]
    PaymentAmountMismatch {
        /// The order total.
        expected: Money,
        /// The amount given.
        actual: Money,
    },
    /// Already paid by another payment (`already_paid`, 409).
    #[error("the order is already paid by another payment")]
    AlreadyPaid,
    /// Empty carrier or tracking number (`invalid_shipment`, 422).
    #[error("carrier and tracking number are required")]
    InvalidShipment,
    /// Refund amount not positive or in another currency (`invalid_refund_amount`, 422).
    #[error("a refund must be a positive amount in the order currency")]
    InvalidRefundAmount,
    /// Nothing was paid (`not_paid`, 409).
    #[error("the order was never paid")]
    NotPaid,
    /// The refund would exceed what was paid (`refund_exceeds_paid`, 409).
    #[error("at most {refundable} can still be refunded")]
    RefundExceedsPaid {
        /// What is left to refund.
        refundable: Money,
    },
}

impl DomainError for OrderError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "order_not_found",
            Self::AlreadyExists => "order_already_exists",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::NoLines => "no_lines",
            Self::TooManyLines { .. } => "too_many_lines",
            Self::DuplicateLine { .. } => "duplicate_line",
            Self::ZeroQuantity { .. } => "invalid_quantity",
            Self::NegativeAmount => "invalid_price",
            Self::MixedCurrencies => "mixed_currencies",
            Self::SubtotalMismatch { .. } => "subtotal_mismatch",
            Self::InvalidDiscount => "invalid_discount",
            Self::TotalMismatch { .. } => "total_mismatch",
            Self::AmountOverflow => "amount_overflow",
            Self::InvalidAddress { .. } => "invalid_address",
            Self::UnknownLine { .. } => "unknown_line",
            Self::PaymentAmountMismatch { .. } => "payment_amount_mismatch",
            Self::AlreadyPaid => "already_paid",
            Self::InvalidShipment => "invalid_shipment",
            Self::InvalidRefundAmount => "invalid_refund_amount",
            Self::NotPaid => "not_paid",
            Self::RefundExceedsPaid { .. } => "refund_exceeds_paid",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound => ErrorKind::NotFound,
            Self::AlreadyExists
            | Self::InvalidTransition { .. }
            | Self::PaymentAmountMismatch { .. }
            | Self::AlreadyPaid
            | Self::NotPaid
            | Self::RefundExceedsPaid { .. } => ErrorKind::Conflict,
            Self::NoLines
            | Self::TooManyLines { .. }
            | Self::DuplicateLine { .. }
            | Self::ZeroQuantity { .. }
            | Self::NegativeAmount
            | Self::MixedCurrencies
            | Self::SubtotalMismatch { .. }
            | Self::InvalidDiscount
            | Self::TotalMismatch { .. }
            | Self::AmountOverflow
            | Self::InvalidAddress { .. }
            | Self::UnknownLine { .. }
            | Self::InvalidShipment
            | Self::InvalidRefundAmount => ErrorKind::Invalid,
        }
    }
}
