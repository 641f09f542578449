//! The cart decision function.

use uuid::Uuid;

use super::{Cart, CartCommand, CartError, CartEvent, CartLine, MAX_LINE_QUANTITY, MAX_LINES};
use crate::values::{Money, Sku};

type Decision = Result<Vec<CartEvent>, CartError>;

fn quantity(quantity: u32) -> Result<(), CartError> {
    if quantity == 0 || quantity > MAX_LINE_QUANTITY {
        return Err(CartError::InvalidQuantity {
            max: MAX_LINE_QUANTITY,
        });
    }
    Ok(())
}

fn price(cart: &Cart, price: &Money) -> Result<(), CartError> {
    if price.is_negative() {
        return Err(CartError::NegativePrice);
    }
    match cart.currency() {
        Some(expected) if expected != price.currency => Err(CartError::CurrencyMismatch {
            expected,
            actual: price.currency,
        }),
        _ => Ok(()),
    }
}

pub(super) fn decide(cart: &Cart, command: CartCommand) -> Decision {
    use CartCommand as C;
    use CartEvent as E;
    let Some(cart_id) = cart.cart_id else {
        return match command {
            C::CreateCart {
                cart_id,
                customer_id,
            } => Ok(vec![E::CartCreated {
                cart_id,
                customer_id,
            }]),
            _ => Err(CartError::NotFound),
        };
    };
    match command {
        C::CreateCart { .. } => Err(CartError::AlreadyExists),
        C::AddCartLine {
            sku,
            product_id,
            quantity: added,
            unit_price,
        } => add_line(cart, sku, product_id, added, unit_price),
        C::ChangeCartLineQuantity { sku, quantity: q } => {
            quantity(q)?;
            let Some(line) = cart.lines.get(&sku) else {
                return Err(CartError::LineNotFound { sku });
            };
            if line.quantity == q {
                return Ok(vec![]);
            }
            Ok(vec![E::CartLineQuantityChanged { sku, quantity: q }])
        }
        C::RemoveCartLine { sku } => Ok(if cart.lines.contains_key(&sku) {
            vec![E::CartLineRemoved { sku }]
        } else {
            vec![]
        }),
        C::ApplyCoupon { code } => Ok(if cart.coupon.as_ref() == Some(&code) {
            vec![]
        } else {
            vec![E::CouponApplied { code }]
        }),
        C::RemoveCoupon {} => Ok(if cart.coupon.is_some() {
            vec![E::CouponRemoved {}]
        } else {
            vec![]
        }),
        C::MergeCart {
            source_cart_id,
            lines,
        } => merge(cart, cart_id, source_cart_id, lines),
        C::ClearCart {} => Ok(if cart.lines.is_empty() && cart.coupon.is_none() {
            vec![]
        } else {
            vec![E::CartCleared {}]
        }),
    }
}

fn add_line(cart: &Cart, sku: Sku, product_id: Uuid, added: u32, unit_price: Money) -> Decision {
    quantity(added)?;
    price(cart, &unit_price)?;
    let existing = cart.lines.get(&sku).map_or(0, |l| l.quantity);
    if existing == 0 && cart.lines.len() >= MAX_LINES {
        return Err(CartError::TooManyLines { max: MAX_LINES });
    }
    let total = existing
        .checked_add(added)
        .filter(|t| *t <= MAX_LINE_QUANTITY)
        .ok_or(CartError::InvalidQuantity {
            max: MAX_LINE_QUANTITY,
        })?;
    Ok(vec![CartEvent::CartLineAdded {
        sku,
        product_id,
        added,
        quantity: total,
        unit_price,
    }])
}

fn merge(cart: &Cart, cart_id: Uuid, source: Uuid, lines: Vec<CartLine>) -> Decision {
    if source == cart_id {
        return Err(CartError::MergeIntoItself);
    }
    if cart.merged_from.contains(&source) {
        return Ok(vec![]);
    }
    let mut merged = cart.clone();
    let mut touched = Vec::new();
    for line in lines {
        quantity(line.quantity)?;
        price(&merged, &line.unit_price)?;
        let result = match merged.lines.get(&line.sku) {
            // The signed-in cart's price snapshot is kept; only quantities add up.
            Some(existing) => CartLine {
                quantity: existing
                    .quantity
                    .saturating_add(line.quantity)
                    .min(MAX_LINE_QUANTITY),
                ..existing.clone()
            },
            None => line,
        };
        merged.lines.insert(result.sku.clone(), result.clone());
        touched.retain(|l: &CartLine| l.sku != result.sku);
        touched.push(result);
    }
    if merged.lines.len() > MAX_LINES {
        return Err(CartError::TooManyLines { max: MAX_LINES });
    }
    Ok(vec![CartEvent::CartMerged {
        source_cart_id: source,
        lines: touched,
    }])
}
