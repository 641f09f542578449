//! The coupon decision function.

use super::{Coupon, CouponCommand, CouponError, CouponEvent, Discount, RedemptionStatus};
use crate::values::Money;

type Decision = Result<Vec<CouponEvent>, CouponError>;

fn validate_terms(
    discount: &Discount,
    min_order_value: Option<&Money>,
    window_ok: bool,
    limits: [Option<u32>; 2],
) -> Result<(), CouponError> {
    match discount {
        Discount::Percentage { basis_points } if (1..=10_000).contains(basis_points) => {}
        Discount::FixedAmount { amount } if amount.amount_minor > 0 => {}
        _ => return Err(CouponError::InvalidDiscount),
    }
    if let Some(min) = min_order_value {
        let currency_ok = match discount {
            Discount::FixedAmount { amount } => amount.currency == min.currency,
            Discount::Percentage { .. } => true,
        };
        if min.is_negative() || !currency_ok {
            return Err(CouponError::InvalidMinOrderValue);
        }
    }
    if !window_ok {
        return Err(CouponError::InvalidValidity);
    }
    if limits.contains(&Some(0)) {
        return Err(CouponError::InvalidLimit);
    }
    Ok(())
}

pub(super) fn decide(coupon: &Coupon, command: CouponCommand) -> Decision {
    use CouponCommand as C;
    use CouponEvent as E;
    let Some(terms) = &coupon.terms else {
        return match command {
            C::CreateCoupon {
                code,
                discount,
                min_order_value,
                valid_from,
                valid_until,
                global_limit,
                per_customer_limit,
            } => {
                validate_terms(
                    &discount,
                    min_order_value.as_ref(),
                    valid_until > valid_from,
                    [global_limit, per_customer_limit],
                )?;
                Ok(vec![E::CouponCreated {
                    code,
                    discount,
                    min_order_value,
                    valid_from,
                    valid_until,
                    global_limit,
                    per_customer_limit,
                }])
            }
            _ => Err(CouponError::NotFound),
        };
    };
    match command {
        C::CreateCoupon { .. } => Err(CouponError::AlreadyExists),
        C::RedeemCoupon {
            order_id,
            customer_id,
            subtotal,
            now,
        } => {
            if subtotal.is_negative() {
                return Err(CouponError::InvalidSubtotal);
            }
            if coupon.redemptions.contains_key(&order_id) {
                // One decision per order: a redelivered redeem neither counts twice nor
                // revives a released or refused redemption.
                return Ok(vec![]);
            }
            Ok(
                match coupon.quote_terms(terms, customer_id, subtotal, now) {
                    Ok(discount) => vec![E::CouponRedeemed {
                        order_id,
                        customer_id,
                        subtotal,
                        discount,
                    }],
                    Err(reason) => vec![E::CouponRedemptionRefused {
                        order_id,
                        customer_id,
                        reason,
                    }],
                },
            )
        }
        C::ReleaseRedemption { order_id } => Ok(match coupon.redemptions.get(&order_id) {
            Some(r) if r.status == RedemptionStatus::Active => {
                vec![E::CouponRedemptionReleased {
                    order_id,
                    customer_id: r.customer_id,
                }]
            }
            _ => vec![],
        }),
        C::DisableCoupon {} => {
            if coupon.disabled {
                Err(CouponError::Disabled)
            } else {
                Ok(vec![E::CouponDisabled {}])
            }
        }
    }
}
