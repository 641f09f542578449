//! The registry of re-drivable projections: which projection a letter names, and how that
//! projection takes one re-driven record ([`Target`]). [`super::redrive`] applies it.

use super::{Command, UsageError};
use crate::projections::{
    carts, catalog, coupons, customers, event_log, inventory, orders, payments, sales_facts,
    stock_movements,
};

/// How a projection takes one re-driven record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A Postgres read model.
    Catalog,
    /// A Postgres read model.
    Inventory,
    /// A Postgres read model.
    Customers,
    /// A Postgres read model.
    Carts,
    /// A Postgres read model.
    Orders,
    /// A Postgres read model.
    Payments,
    /// A Postgres read model.
    Coupons,
    /// ClickHouse facts of inventory events.
    StockMovements,
    /// ClickHouse facts of order, payment and cart events.
    SalesFacts,
    /// The raw ClickHouse `events` table.
    EventLog,
}

/// Every projection a dead letter can be re-driven into, by the name its letters carry.
pub const REGISTRY: &[(&str, Target)] = &[
    (catalog::NAME, Target::Catalog),
    (inventory::NAME, Target::Inventory),
    (customers::NAME, Target::Customers),
    (carts::NAME, Target::Carts),
    (orders::NAME, Target::Orders),
    (payments::NAME, Target::Payments),
    (coupons::NAME, Target::Coupons),
    (stock_movements::NAME, Target::StockMovements),
    (sales_facts::NAME, Target::SalesFacts),
    (event_log::NAME, Target::EventLog),
];

/// The target of projection `name`.
pub fn target(name: &str) -> Option<Target> {
    REGISTRY
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, target)| *target)
}

/// The re-drivable projections, for messages.
pub fn known_names() -> String {
    REGISTRY
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses `redrive --projection` with a name no re-drive exists for.
pub fn check_projection(command: &Command) -> Result<(), UsageError> {
    match command {
        Command::Redrive {
            projection: Some(name),
            ..
        } if target(name).is_none() => Err(UsageError(format!(
            "no re-drive for projection {name:?}; re-drivable: {}",
            known_names()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_projection_that_dead_letters_events_can_be_re_driven() {
        for name in crate::projections::POSTGRES_PROJECTIONS.iter().chain(&[
            stock_movements::NAME,
            sales_facts::NAME,
            event_log::NAME,
        ]) {
            assert!(target(name).is_some(), "{name} has no re-drive");
        }
    }

    #[test]
    fn redrive_of_an_unknown_projection_is_a_usage_error() {
        let command = |name: &str| Command::Redrive {
            projection: Some(name.into()),
            letters: vec![],
        };
        assert!(check_projection(&command("catalog")).is_ok());
        let refused = check_projection(&command("catalogue")).unwrap_err();
        assert!(
            refused.0.contains("re-drivable: catalog, inventory"),
            "{}",
            refused.0
        );
        // Listing letters of any name is fine: other consumers may dead-letter too.
        let list = Command::List {
            projection: Some("catalogue".into()),
            json: false,
        };
        assert!(check_projection(&list).is_ok());
    }
}
