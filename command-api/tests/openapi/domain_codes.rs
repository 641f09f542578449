//! The documented statuses of domain codes agree with the domain's own `ErrorKind`s.

use std::collections::BTreeMap;

use command_api::openapi::codes;
use domain::{
    DomainError, ErrorKind,
    cart::CartError,
    coupon::CouponError,
    customer::CustomerError,
    email_claim::EmailClaimError,
    inventory::InventoryError,
    order::{OrderError, OrderStatus},
    payment::PaymentError,
    product::ProductError,
    values::{Currency, Money, Sku},
};

fn status_of(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::Conflict => 409,
        ErrorKind::Invalid => 422,
        ErrorKind::NotFound => 404,
    }
}

#[test]
fn documented_domain_codes_have_the_status_their_domain_error_maps_to() {
    let sku = Sku::parse("SKU-1").unwrap();
    let eur = Money::zero(Currency::parse("EUR").unwrap());
    let refusals: Vec<Box<dyn DomainError>> = vec![
        Box::new(ProductError::NotFound),
        Box::new(ProductError::Deleted),
        Box::new(ProductError::AlreadyPublished),
        Box::new(ProductError::NotPublished),
        Box::new(ProductError::InvalidName),
        Box::new(ProductError::InvalidSlug),
        Box::new(ProductError::DescriptionTooLong),
        Box::new(ProductError::InvalidCategory),
        Box::new(ProductError::InvalidBrand),
        Box::new(ProductError::NoVariants),
        Box::new(ProductError::MixedCurrencies),
        Box::new(ProductError::NegativePrice),
        Box::new(ProductError::InvalidVariantName),
        Box::new(ProductError::NothingToUpdate),
        Box::new(ProductError::LastActiveVariant),
        Box::new(ProductError::VariantNotFound { sku: sku.clone() }),
        Box::new(ProductError::VariantRetired { sku: sku.clone() }),
        Box::new(ProductError::VariantAlreadyExists { sku: sku.clone() }),
        Box::new(ProductError::DuplicateSku { sku }),
        Box::new(InventoryError::UnknownSku),
        Box::new(InventoryError::ZeroQuantity),
        Box::new(InventoryError::ZeroAdjustment),
        Box::new(InventoryError::MissingReason),
        Box::new(InventoryError::QuantityOverflow),
        Box::new(InventoryError::InsufficientStock {
            available: 0,
            requested: 1,
        }),
        Box::new(CartError::NotFound),
        Box::new(CartError::InvalidQuantity { max: 999 }),
        Box::new(CartError::NegativePrice),
        Box::new(CartError::LineNotFound {
            sku: Sku::parse("SKU-2").unwrap(),
        }),
        Box::new(CartError::TooManyLines { max: 1 }),
        Box::new(CartError::MergeIntoItself),
        Box::new(CartError::CurrencyMismatch {
            expected: eur.currency,
            actual: eur.currency,
        }),
        Box::new(CustomerError::NotFound),
        Box::new(CustomerError::Deactivated),
        Box::new(CustomerError::InvalidDisplayName),
        Box::new(CustomerError::InvalidAddress { field: "city" }),
        Box::new(CustomerError::AddressNotFound {
            address_id: uuid::Uuid::nil(),
        }),
        Box::new(CustomerError::TooManyAddresses { max: 1 }),
        Box::new(EmailClaimError::Taken),
        Box::new(OrderError::NotFound),
        Box::new(OrderError::InvalidTransition {
            from: OrderStatus::Placed,
            action: "ship",
        }),
        Box::new(OrderError::InvalidShipment),
        Box::new(OrderError::InvalidRefundAmount),
        Box::new(OrderError::NotPaid),
        Box::new(OrderError::RefundExceedsPaid { refundable: eur }),
        Box::new(PaymentError::AlreadyExists),
        Box::new(PaymentError::InvalidReference { field: "token" }),
        Box::new(CouponError::NotFound),
        Box::new(CouponError::AlreadyExists),
        Box::new(CouponError::Disabled),
        Box::new(CouponError::InvalidDiscount),
        Box::new(CouponError::InvalidMinOrderValue),
        Box::new(CouponError::InvalidValidity),
        Box::new(CouponError::InvalidLimit),
    ];
    let documented: BTreeMap<&str, u16> = codes::ALL.iter().map(|c| (c.code, c.status)).collect();
    for refusal in refusals {
        assert_eq!(
            documented.get(refusal.code()),
            Some(&status_of(refusal.kind())),
            "`{}` ({refusal}) is documented with another status, or not at all",
            refusal.code()
        );
    }
}
