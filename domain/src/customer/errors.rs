//! Why a customer command was refused.

use uuid::Uuid;

use crate::{DomainError, ErrorKind};

/// A refused customer command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// No such customer (`customer_not_found`, 404).
    #[error("the customer does not exist")]
    NotFound,
    /// The stream already holds a customer (`customer_already_exists`, 409).
    #[error("the customer already exists")]
    AlreadyExists,
    /// The account is deactivated (`customer_deactivated`, 409).
    #[error("the customer is deactivated")]
    Deactivated,
    /// Display name empty or longer than 100 characters (`invalid_display_name`, 422).
    #[error("a display name must be 1 to 100 characters")]
    InvalidDisplayName,
    /// Empty or over-long password hash (`invalid_password_hash`, 422).
    #[error("the password hash is missing or too long")]
    InvalidPasswordHash,
    /// An address field breaks a rule (`invalid_address`, 422).
    #[error("address field {field} is invalid")]
    InvalidAddress {
        /// The offending field.
        field: &'static str,
    },
    /// The address id is already in the address book (`address_already_exists`, 409).
    #[error("address {address_id} already exists")]
    AddressAlreadyExists {
        /// The id.
        address_id: Uuid,
    },
    /// No such address-book entry (`address_not_found`, 404).
    #[error("address {address_id} does not exist")]
    AddressNotFound {
        /// The id.
        address_id: Uuid,
    },
    /// The address book is full (`too_many_addresses`, 409).
    #[error("an address book holds at most {max} addresses")]
    TooManyAddresses {
        /// The limit.
        max: usize,
    },
    /// Only admins may change roles (`role_change_forbidden`, 422: the command's own actor
    /// breaks the rule, whatever the state; callers should refuse it with 403 before sending).
    #[error("only an admin may change roles")]
    RoleChangeForbidden,
}

impl DomainError for CustomerError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "customer_not_found",
            Self::AlreadyExists => "customer_already_exists",
            Self::Deactivated => "customer_deactivated",
            Self::InvalidDisplayName => "invalid_display_name",
            Self::InvalidPasswordHash => "invalid_password_hash",
            Self::InvalidAddress { .. } => "invalid_address",
            Self::AddressAlreadyExists { .. } => "address_already_exists",
            Self::AddressNotFound { .. } => "address_not_found",
            Self::TooManyAddresses { .. } => "too_many_addresses",
            Self::RoleChangeForbidden => "role_change_forbidden",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound | Self::AddressNotFound { .. } => ErrorKind::NotFound,
            Self::AlreadyExists
            | Self::Deactivated
            | Self::AddressAlreadyExists { .. }
            | Self::TooManyAddresses { .. } => ErrorKind::Conflict,
            Self::InvalidDisplayName
            | Self::InvalidPasswordHash
            | Self::InvalidAddress { .. }
            | Self::RoleChangeForbidden => ErrorKind::Invalid,
        }
    }
}
