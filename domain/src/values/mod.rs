//! Value types shared by several aggregates.
//!
//! Each type can only be built through a validating constructor (`parse` / `TryFrom`), and serde
//! goes through the same constructor (`#[serde(try_from = ..., into = ...)]`), so malformed wire
//! data can never produce an invalid value inside the domain. [`Address`] is the exception: a
//! plain record that the commands using it validate, so a refusal can name the bad field.

mod address;
mod coupon_code;
mod email;
mod money;
mod schema;
mod sku;

#[cfg(test)]
pub(crate) use address::fixtures;
pub use address::{Address, AddressError};
pub use coupon_code::{COUPON_CODE_MAX_LEN, CouponCode, CouponCodeError};
pub use email::{EMAIL_MAX_LEN, Email, EmailError};
pub use money::{Currency, CurrencyError, Money, MoneyError};
pub use sku::{SKU_MAX_LEN, Sku, SkuError};
