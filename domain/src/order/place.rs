//! Checks that a new order's lines and amounts add up.

use std::collections::BTreeSet;

use super::{MAX_LINES, OrderError, OrderLine};
use crate::values::{Address, CouponCode, Money, MoneyError};

fn overflow(error: MoneyError) -> OrderError {
    match error {
        MoneyError::CurrencyMismatch { .. } => OrderError::MixedCurrencies,
        MoneyError::Overflow => OrderError::AmountOverflow,
    }
}

/// The amounts and lines of a `PlaceOrder` command.
pub(super) struct Placement<'a> {
    pub lines: &'a [OrderLine],
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
    pub coupon_code: Option<&'a CouponCode>,
    pub shipping_address: &'a Address,
}

pub(super) fn validate(p: &Placement<'_>) -> Result<(), OrderError> {
    if p.lines.is_empty() {
        return Err(OrderError::NoLines);
    }
    if p.lines.len() > MAX_LINES {
        return Err(OrderError::TooManyLines { max: MAX_LINES });
    }
    let currency = p.subtotal.currency;
    if [p.discount.currency, p.total.currency]
        .iter()
        .any(|c| *c != currency)
    {
        return Err(OrderError::MixedCurrencies);
    }
    let mut numbers = BTreeSet::new();
    let mut sum = Money::zero(currency);
    for line in p.lines {
        if !numbers.insert(line.line) {
            return Err(OrderError::DuplicateLine { line: line.line });
        }
        if line.quantity == 0 {
            return Err(OrderError::ZeroQuantity { line: line.line });
        }
        if line.unit_price.is_negative() {
            return Err(OrderError::NegativeAmount);
        }
        let line_total = line
            .unit_price
            .checked_mul(line.quantity)
            .map_err(overflow)?;
        sum = sum.checked_add(line_total).map_err(overflow)?;
    }
    if sum != p.subtotal {
        return Err(OrderError::SubtotalMismatch { expected: sum });
    }
    if p.discount.is_negative()
        || p.discount.amount_minor > p.subtotal.amount_minor
        || (!p.discount.is_zero() && p.coupon_code.is_none())
    {
        return Err(OrderError::InvalidDiscount);
    }
    let expected = p.subtotal.checked_sub(p.discount).map_err(overflow)?;
    if expected != p.total {
        return Err(OrderError::TotalMismatch { expected });
    }
    p.shipping_address
        .validate()
        .map_err(|e| OrderError::InvalidAddress { field: e.field })
}
