//! The projections: what each one builds from which events.
//!
//! - [`catalog`]: `catalog_products` and `catalog_variants` (Postgres) from product events.
//! - [`inventory`]: `inventory_items` (Postgres) from inventory events.
//! - [`stock_movements`]: `stock_movements` facts (ClickHouse) from inventory events.
//! - [`customers`]: `customers` (Postgres) from customer events.
//! - [`carts`]: `carts` and `cart_lines` (Postgres) from cart events.
//! - [`orders`]: `orders`, `order_lines`, `order_status_history` (Postgres) from order events,
//!   and the customers' order statistics.
//! - [`payments`]: `payments` (Postgres) from payment events, and the orders' payment columns.
//! - [`sales_facts`]: order, order line, payment and cart facts (ClickHouse), and the
//!   `sales_daily` and `funnel_daily` rollup views over them.
//! - [`coupons`]: `coupons` and `coupon_redemptions` (Postgres) from coupon events.
//! - [`event_log`]: the raw `events` table (ClickHouse): every event of every counted commit.

pub mod carts;
pub mod catalog;
pub mod coupons;
pub mod customers;
pub mod event_log;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod sales_facts;
pub mod stock_movements;

/// Names of the Postgres projections, as stored in `projection_checkpoints`.
pub const POSTGRES_PROJECTIONS: &[&str] = &[
    catalog::NAME,
    inventory::NAME,
    customers::NAME,
    carts::NAME,
    orders::NAME,
    payments::NAME,
    coupons::NAME,
];
