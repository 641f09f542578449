//! Why a payment command was refused.

use super::PaymentStatus;
use crate::values::Money;
use crate::{DomainError, ErrorKind};

/// A refused payment command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// No such payment (`payment_not_found`, 404).
    #[error("the payment does not exist")]
    NotFound,
    /// The stream already holds a payment with another idempotency key
    /// (`payment_already_exists`, 409).
    #[error("the payment already exists")]
    AlreadyExists,
    /// The payment's status forbids the command (`invalid_transition`, 409).
    #[error("cannot {action} a payment that is {from:?}")]
    InvalidTransition {
        /// Current status.
        from: PaymentStatus,
        /// What was attempted.
        action: &'static str,
    },
    /// Amount not greater than zero (`invalid_amount`, 422).
    #[error("the amount must be greater than zero")]
    InvalidAmount,
    /// Amount in another currency than the payment (`currency_mismatch`, 422).
    #[error("the amount must be in the payment currency")]
    CurrencyMismatch,
    /// Missing or over-long idempotency key, token or reference (`invalid_reference`, 422).
    #[error("{field} must be 1 to 200 characters")]
    InvalidReference {
        /// The field.
        field: &'static str,
    },
    /// Authorization above the requested amount (`authorization_exceeds_amount`, 409).
    #[error("cannot authorize more than {requested}")]
    AuthorizationExceedsAmount {
        /// The initiated amount.
        requested: Money,
    },
    /// Capture above what is authorized (`capture_exceeds_authorized`, 409).
    #[error("at most {capturable} can still be captured")]
    CaptureExceedsAuthorized {
        /// What is left to capture.
        capturable: Money,
    },
    /// Refund above what was captured (`refund_exceeds_captured`, 409).
    #[error("at most {refundable} can still be refunded")]
    RefundExceedsCaptured {
        /// What is left to refund.
        refundable: Money,
    },
}

impl DomainError for PaymentError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "payment_not_found",
            Self::AlreadyExists => "payment_already_exists",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::InvalidAmount => "invalid_amount",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::InvalidReference { .. } => "invalid_reference",
            Self::AuthorizationExceedsAmount { .. } => "authorization_exceeds_amount",
            Self::CaptureExceedsAuthorized { .. } => "capture_exceeds_authorized",
            Self::RefundExceedsCaptured { .. } => "refund_exceeds_captured",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound => ErrorKind::NotFound,
            Self::AlreadyExists
            | Self::InvalidTransition { .. }
            | Self::AuthorizationExceedsAmount { .. }
            | Self::CaptureExceedsAuthorized { .. }
            | Self::RefundExceedsCaptured { .. } => ErrorKind::Conflict,
            Self::InvalidAmount | Self::CurrencyMismatch | Self::InvalidReference { .. } => {
                ErrorKind::Invalid
            }
        }
    }
}
