//! The projections: what each one builds from which events.
//!
//! - [`catalog`]: `catalog_products` and `catalog_variants` (Postgres) from product events.
//! - [`inventory`]: `inventory_items` (Postgres) from inventory events.
//! - [`stock_movements`]: `stock_movements` facts (ClickHouse) from inventory events.

pub mod catalog;
pub mod inventory;
pub mod stock_movements;

/// Names of the Postgres projections, as stored in `projection_checkpoints`.
pub const POSTGRES_PROJECTIONS: &[&str] = &[catalog::NAME, inventory::NAME];
