//! Cart rules, one sentence per test.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use crate::values::Money;
use CartCommand as C;
use CartEvent as E;

const CART: Uuid = Uuid::from_u128(1);
const GUEST: Uuid = Uuid::from_u128(2);
const CUSTOMER: Uuid = Uuid::from_u128(3);
const PRODUCT: Uuid = Uuid::from_u128(4);

fn given(events: impl IntoIterator<Item = CartEvent>) -> Given<Cart> {
    testing::given(events)
}

fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap()
}

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn created() -> CartEvent {
    E::CartCreated {
        cart_id: CART,
        customer_id: Some(CUSTOMER),
    }
}

fn line(code: &str, quantity: u32, price: i64) -> CartLine {
    CartLine {
        sku: sku(code),
        product_id: PRODUCT,
        quantity,
        unit_price: eur(price),
    }
}

fn added(code: &str, added: u32, quantity: u32, price: i64) -> CartEvent {
    E::CartLineAdded {
        sku: sku(code),
        product_id: PRODUCT,
        added,
        quantity,
        unit_price: eur(price),
    }
}

fn add(code: &str, quantity: u32, price: Money) -> CartCommand {
    C::AddCartLine {
        sku: sku(code),
        product_id: PRODUCT,
        quantity,
        unit_price: price,
    }
}

fn code() -> CouponCode {
    CouponCode::parse("SAVE10").unwrap()
}

#[test]
fn creating_a_cart_is_accepted_and_twice_is_a_conflict() {
    given([])
        .when(C::CreateCart {
            cart_id: CART,
            customer_id: Some(CUSTOMER),
        })
        .then([created()]);
    given([created()])
        .when(C::CreateCart {
            cart_id: CART,
            customer_id: None,
        })
        .then_err(CartError::AlreadyExists);
}

#[test]
fn commands_on_a_missing_cart_are_not_found() {
    given([])
        .when(add("A-1", 1, eur(1)))
        .then_err(CartError::NotFound);
    given([])
        .when(C::ClearCart {})
        .then_err(CartError::NotFound);
}

#[test]
fn adding_a_new_sku_creates_a_line_with_the_price_snapshot() {
    let state = given([created()])
        .when(add("A-1", 2, eur(500)))
        .then([added("A-1", 2, 2, 500)]);
    assert_eq!(state.lines().get(&sku("A-1")), Some(&line("A-1", 2, 500)));
}

#[test]
fn adding_a_sku_already_in_the_cart_adds_up_and_refreshes_the_price() {
    given([created(), added("A-1", 2, 2, 500)])
        .when(add("A-1", 3, eur(450)))
        .then([added("A-1", 3, 5, 450)]);
}

#[test]
fn adding_zero_or_too_many_units_is_refused() {
    let error = CartError::InvalidQuantity {
        max: MAX_LINE_QUANTITY,
    };
    given([created()])
        .when(add("A-1", 0, eur(1)))
        .then_err(error.clone());
    given([created(), added("A-1", 990, 990, 1)])
        .when(add("A-1", 10, eur(1)))
        .then_err(error);
}

#[test]
fn adding_a_line_in_another_currency_is_a_conflict() {
    given([created(), added("A-1", 1, 1, 500)])
        .when(add(
            "B-1",
            1,
            Money::new(1, Currency::parse("USD").unwrap()),
        ))
        .then_err(CartError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            actual: Currency::parse("USD").unwrap(),
        });
}

#[test]
fn adding_a_negative_price_is_refused() {
    given([created()])
        .when(add("A-1", 1, eur(-1)))
        .then_err(CartError::NegativePrice);
}

#[test]
fn a_full_cart_refuses_a_new_line_but_accepts_more_of_an_existing_one() {
    let mut history = vec![created()];
    for i in 0..MAX_LINES {
        history.push(added(&format!("S-{i}"), 1, 1, 1));
    }
    given(history.clone())
        .when(add("NEW", 1, eur(1)))
        .then_err(CartError::TooManyLines { max: MAX_LINES });
    given(history)
        .when(add("S-0", 1, eur(1)))
        .then([added("S-0", 1, 2, 1)]);
}

#[test]
fn changing_a_line_quantity_is_accepted_and_an_absent_line_is_not_found() {
    given([created(), added("A-1", 2, 2, 500)])
        .when(C::ChangeCartLineQuantity {
            sku: sku("A-1"),
            quantity: 7,
        })
        .then([E::CartLineQuantityChanged {
            sku: sku("A-1"),
            quantity: 7,
        }]);
    given([created()])
        .when(C::ChangeCartLineQuantity {
            sku: sku("A-1"),
            quantity: 7,
        })
        .then_err(CartError::LineNotFound { sku: sku("A-1") });
}

#[test]
fn removing_a_line_is_accepted_and_removing_an_absent_one_is_a_no_op() {
    given([created(), added("A-1", 2, 2, 500)])
        .when(C::RemoveCartLine { sku: sku("A-1") })
        .then([E::CartLineRemoved { sku: sku("A-1") }]);
    given([created()])
        .when(C::RemoveCartLine { sku: sku("A-1") })
        .then_nothing();
}

#[test]
fn applying_and_removing_a_coupon_code_is_recorded_once() {
    given([created()])
        .when(C::ApplyCoupon { code: code() })
        .then([E::CouponApplied { code: code() }]);
    given([created(), E::CouponApplied { code: code() }])
        .when(C::ApplyCoupon { code: code() })
        .then_nothing();
    given([created(), E::CouponApplied { code: code() }])
        .when(C::RemoveCoupon {})
        .then([E::CouponRemoved {}]);
    given([created()]).when(C::RemoveCoupon {}).then_nothing();
}

#[test]
fn merging_a_guest_cart_adds_quantities_and_keeps_the_customer_price() {
    let state = given([created(), added("A-1", 2, 2, 500)])
        .when(C::MergeCart {
            source_cart_id: GUEST,
            lines: vec![line("A-1", 1, 400), line("B-1", 3, 100)],
        })
        .then([E::CartMerged {
            source_cart_id: GUEST,
            lines: vec![line("A-1", 3, 500), line("B-1", 3, 100)],
        }]);
    assert_eq!(state.lines().len(), 2);
}

#[test]
fn merging_the_same_guest_cart_twice_is_a_no_op() {
    given([
        created(),
        E::CartMerged {
            source_cart_id: GUEST,
            lines: vec![line("A-1", 1, 400)],
        },
    ])
    .when(C::MergeCart {
        source_cart_id: GUEST,
        lines: vec![line("A-1", 1, 400)],
    })
    .then_nothing();
}

#[test]
fn merging_a_cart_into_itself_is_refused() {
    given([created()])
        .when(C::MergeCart {
            source_cart_id: CART,
            lines: vec![],
        })
        .then_err(CartError::MergeIntoItself);
}

#[test]
fn clearing_a_cart_empties_it_and_clearing_an_empty_one_is_a_no_op() {
    let state = given([
        created(),
        added("A-1", 2, 2, 500),
        E::CouponApplied { code: code() },
    ])
    .when(C::ClearCart {})
    .then([E::CartCleared {}]);
    assert!(state.lines().is_empty());
    assert_eq!(state.coupon(), None);
    given([created()]).when(C::ClearCart {}).then_nothing();
}
