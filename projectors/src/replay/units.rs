//! Rebuild units: the smallest sets of projections whose tables can be rebuilt and switched
//! together.
//!
//! Most projections own their tables outright. Orders, payments and customers do not: the
//! orders projection keeps the customers' order statistics, and orders and payments fill each
//! other's payment columns. Rebuilding one of them alone would leave the new tables missing the
//! others' columns, so they form one unit and are always rebuilt together.

use std::{future::Future, pin::Pin};

use runtime::shutdown::Shutdown;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    error::ProjectorError,
    projections::{
        carts::{self, Carts},
        catalog::{self, Catalog},
        coupons::{self, Coupons},
        customers::{self, Customers},
        inventory::{self, Inventory},
        orders::{self, Orders},
        payments::{self, Payments},
    },
    read_model::{PgProjection, ReadModel},
    runner::{self, RunContext},
};

/// A set of Postgres projections rebuilt and switched as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// The name used on the command line (the name of its main projection).
    pub name: &'static str,
    /// The projections (checkpoint names) it runs.
    pub members: &'static [&'static str],
    /// Every table they write, parents before children (the order matters for truncation
    /// messages only; moves and truncates take the whole set at once).
    pub tables: &'static [&'static str],
    /// Version of the projection code's output. Bump it when a change makes the same log
    /// produce different rows: a rebuild then expects differences instead of refusing them.
    pub code_version: i32,
}

/// Every rebuild unit.
pub const UNITS: &[Unit] = &[
    Unit {
        name: catalog::NAME,
        members: &[catalog::NAME],
        tables: &["catalog_products", "catalog_variants"],
        code_version: 1,
    },
    Unit {
        name: inventory::NAME,
        members: &[inventory::NAME],
        tables: &["inventory_items"],
        code_version: 1,
    },
    Unit {
        name: carts::NAME,
        members: &[carts::NAME],
        tables: &["carts", "cart_lines"],
        code_version: 1,
    },
    Unit {
        name: coupons::NAME,
        members: &[coupons::NAME],
        tables: &["coupons", "coupon_redemptions"],
        code_version: 1,
    },
    Unit {
        name: orders::NAME,
        members: &[customers::NAME, orders::NAME, payments::NAME],
        tables: &[
            "customers",
            "orders",
            "order_lines",
            "order_status_history",
            "payments",
        ],
        code_version: 1,
    },
];

/// Why a name does not select a unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown projection {0:?}; rebuildable projections: {known}", known = known_names())]
pub struct UnknownProjection(pub String);

fn known_names() -> String {
    UNITS
        .iter()
        .flat_map(|unit| unit.members.iter())
        .copied()
        .chain(super::facts::FACT_UNITS.iter().map(|unit| unit.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The unit that rebuilds `projection` (any member's name selects its unit).
pub fn unit_of(projection: &str) -> Result<&'static Unit, UnknownProjection> {
    UNITS
        .iter()
        .find(|unit| unit.members.contains(&projection))
        .ok_or_else(|| UnknownProjection(projection.to_string()))
}

/// A running projection loop, boxed so members of different types can be awaited together.
pub type MemberRun = Pin<Box<dyn Future<Output = Result<(), ProjectorError>> + Send>>;

/// The run loop of projection `member` writing into `pool` (whose search path selects the
/// schema), or `None` for a name that is not a Postgres read model.
pub fn run_member(
    member: &str,
    pool: PgPool,
    log_epoch: Uuid,
    context: RunContext,
    shutdown: Shutdown,
) -> Option<MemberRun> {
    fn boxed<M: ReadModel>(
        model: M,
        pool: PgPool,
        log_epoch: Uuid,
        context: RunContext,
        shutdown: Shutdown,
    ) -> MemberRun {
        Box::pin(runner::run(
            PgProjection::new(pool, model, log_epoch),
            context,
            shutdown,
        ))
    }
    let run = match member {
        catalog::NAME => boxed(Catalog, pool, log_epoch, context, shutdown),
        inventory::NAME => boxed(Inventory, pool, log_epoch, context, shutdown),
        carts::NAME => boxed(Carts, pool, log_epoch, context, shutdown),
        coupons::NAME => boxed(Coupons, pool, log_epoch, context, shutdown),
        customers::NAME => boxed(Customers, pool, log_epoch, context, shutdown),
        orders::NAME => boxed(Orders, pool, log_epoch, context, shutdown),
        payments::NAME => boxed(Payments, pool, log_epoch, context, shutdown),
        _ => return None,
    };
    Some(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{projections::POSTGRES_PROJECTIONS, rebuild::COMPARED_TABLES};

    #[test]
    fn every_postgres_projection_belongs_to_exactly_one_unit() {
        for projection in POSTGRES_PROJECTIONS {
            let owners = UNITS
                .iter()
                .filter(|unit| unit.members.contains(projection))
                .count();
            assert_eq!(owners, 1, "{projection}");
        }
    }

    #[test]
    fn every_read_model_table_is_switched_with_the_unit_of_its_writer() {
        for (table, writer) in COMPARED_TABLES {
            let unit = unit_of(writer).expect("writer has a unit");
            assert!(unit.tables.contains(table), "{table} not in {}", unit.name);
        }
        let listed: usize = UNITS.iter().map(|unit| unit.tables.len()).sum();
        assert_eq!(listed, COMPARED_TABLES.len());
    }

    #[test]
    fn any_member_selects_its_unit_and_unknown_names_are_refused() {
        assert_eq!(unit_of("payments").map(|u| u.name), Ok("orders"));
        assert_eq!(unit_of("catalog").map(|u| u.name), Ok("catalog"));
        let error = unit_of("nope").expect_err("unknown");
        assert!(error.to_string().contains("catalog"));
    }
}
