//! Why an e-mail claim command was refused.

use crate::{DomainError, ErrorKind};

/// A refused e-mail claim command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailClaimError {
    /// The address was never claimed (`email_claim_not_found`, 404).
    #[error("the e-mail address was never claimed")]
    NotFound,
    /// Another customer holds the address (`email_taken`, 409).
    #[error("the e-mail address is already in use")]
    Taken,
    /// Release by someone other than the holder (`email_held_by_another`, 409).
    #[error("the e-mail address is held by another customer")]
    HeldByAnother,
}

impl DomainError for EmailClaimError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "email_claim_not_found",
            Self::Taken => "email_taken",
            Self::HeldByAnother => "email_held_by_another",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound => ErrorKind::NotFound,
            Self::Taken | Self::HeldByAnother => ErrorKind::Conflict,
        }
    }
}
