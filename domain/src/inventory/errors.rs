//! Why an inventory command was refused.

use uuid::Uuid;

use crate::{DomainError, ErrorKind};

/// A refused inventory command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// The SKU has no stream yet (`unknown_sku`, 404).
    #[error("the SKU is not registered")]
    UnknownSku,
    /// The SKU is registered to another product (`sku_already_registered`, 409).
    #[error("the SKU is already registered to product {product_id}")]
    AlreadyRegistered {
        /// The product that owns the SKU.
        product_id: Uuid,
    },
    /// A quantity of zero (`invalid_quantity`, 422).
    #[error("quantity must be greater than zero")]
    ZeroQuantity,
    /// An adjustment of zero (`invalid_adjustment`, 422).
    #[error("an adjustment must change the quantity")]
    ZeroAdjustment,
    /// An adjustment without a reason (`missing_reason`, 422).
    #[error("an adjustment needs a reason")]
    MissingReason,
    /// The change would make available stock negative (`insufficient_stock`, 409).
    #[error("only {available} available, {requested} needed")]
    InsufficientStock {
        /// Available now.
        available: u64,
        /// Units the command would take away.
        requested: u64,
    },
    /// The quantity would not fit in 64 bits (`quantity_overflow`, 409).
    #[error("quantity overflow")]
    QuantityOverflow,
    /// Commit of a reservation that was never held, or was released or expired
    /// (`reservation_not_held`, 409).
    #[error("no held reservation for order {order_id} line {line}")]
    ReservationNotHeld {
        /// Order.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
    },
    /// Restock of a line that was never shipped (`reservation_not_committed`, 409).
    #[error("order {order_id} line {line} was not shipped from this SKU")]
    ReservationNotCommitted {
        /// Order.
        order_id: Uuid,
        /// Line within the order.
        line: u32,
    },
    /// Restock of more units than were shipped (`restock_exceeds_committed`, 409).
    #[error("cannot restock {requested}, only {committed} were shipped")]
    RestockExceedsCommitted {
        /// Units shipped for the line.
        committed: u32,
        /// Units the command would restock.
        requested: u32,
    },
}

impl DomainError for InventoryError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownSku => "unknown_sku",
            Self::AlreadyRegistered { .. } => "sku_already_registered",
            Self::ZeroQuantity => "invalid_quantity",
            Self::ZeroAdjustment => "invalid_adjustment",
            Self::MissingReason => "missing_reason",
            Self::InsufficientStock { .. } => "insufficient_stock",
            Self::QuantityOverflow => "quantity_overflow",
            Self::ReservationNotHeld { .. } => "reservation_not_held",
            Self::ReservationNotCommitted { .. } => "reservation_not_committed",
            Self::RestockExceedsCommitted { .. } => "restock_exceeds_committed",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownSku => ErrorKind::NotFound,
            Self::ZeroQuantity | Self::ZeroAdjustment | Self::MissingReason => ErrorKind::Invalid,
            Self::AlreadyRegistered { .. }
            | Self::InsufficientStock { .. }
            | Self::QuantityOverflow
            | Self::ReservationNotHeld { .. }
            | Self::ReservationNotCommitted { .. }
            | Self::RestockExceedsCommitted { .. } => ErrorKind::Conflict,
        }
    }
}
