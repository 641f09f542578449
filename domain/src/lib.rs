//! # domain
//!
//! Agora's business rules, pure: no async, no IO, no clock, no randomness. Callers pass the
//! time (`now`, `expires_at`) and every id in commands.
//!
//! Each aggregate module holds its state (`mod.rs`, with `impl Aggregate`), `commands.rs`,
//! `events.rs`, `errors.rs`, and `stream_id` helpers. Commands and events travel as
//! `{"type": "<Variant>", "data": {...}}`; event enums also derive `JsonSchema` and list their
//! type names in `TYPES`. `docs/DOMAIN.md` describes every rule.
//!
//! # Layout
//! - [`aggregate`]: the `Aggregate` contract (`decide`, `evolve`) and error classification.
//! - [`values`]: validated value types shared by aggregates (`Sku`, `Email`, `Money`,
//!   `Currency`, `CouponCode`, `Address`).
//! - [`stream`]: parsing `<KIND>-<id>` stream ids; the list of kinds.
//! - [`cart`]: shopping carts with price snapshots, coupon code and guest merge.
//! - [`coupon`]: discount codes with validity window and global/per-customer limits.
//! - [`customer`]: accounts with profile, address book and role.
//! - [`email_claim`]: one active account per normalized e-mail address.
//! - [`inventory`]: stock per SKU, reservations with expiry, low-stock signals.
//! - [`order`]: the order state machine from placement to delivery or refund.
//! - [`payment`]: authorize, capture and refund through a provider, never over the limits.
//! - [`product`]: catalog entries with variants, prices and publish state.
//! - `testing` (feature `testing`): the given/when/then harness for aggregate tests.

pub mod aggregate;
pub mod cart;
pub mod coupon;
pub mod customer;
pub mod email_claim;
pub mod inventory;
pub mod order;
pub mod payment;
pub mod product;
pub mod stream;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod values;
#[cfg(test)]
mod wire_tests;

pub use aggregate::{Aggregate, DomainError, ErrorKind, EventType};
