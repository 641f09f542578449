//! The list of aggregates whose events travel on the log.
//!
//! Rust cannot enumerate types at run time, so this is the one hand-kept list; code that must do
//! something for every aggregate (schema generation, contract tests, tooling) implements
//! [`AggregateVisitor`] and calls [`visit_aggregates`]. The contract tests check this list
//! against the aggregate modules of `domain/src` and against the registry.

use domain::Aggregate;
use schemars::JsonSchema;

/// Something done once per aggregate, with the aggregate's type in hand.
pub trait AggregateVisitor {
    /// Called once for each aggregate in [`visit_aggregates`].
    fn visit<A>(&mut self)
    where
        A: Aggregate,
        A::Event: JsonSchema;
}

/// Calls `visitor` for every aggregate, in a fixed order.
pub fn visit_aggregates(visitor: &mut impl AggregateVisitor) {
    visitor.visit::<domain::inventory::InventoryItem>();
    visitor.visit::<domain::product::Product>();
    visitor.visit::<domain::customer::Customer>();
    visitor.visit::<domain::email_claim::EmailClaim>();
    visitor.visit::<domain::cart::Cart>();
    visitor.visit::<domain::order::Order>();
    visitor.visit::<domain::payment::Payment>();
    visitor.visit::<domain::coupon::Coupon>();
}

/// The `KIND` of every aggregate, in [`visit_aggregates`] order.
pub fn aggregate_kinds() -> Vec<&'static str> {
    struct Kinds(Vec<&'static str>);
    impl AggregateVisitor for Kinds {
        fn visit<A>(&mut self)
        where
            A: Aggregate,
            A::Event: JsonSchema,
        {
            self.0.push(A::KIND);
        }
    }
    let mut kinds = Kinds(Vec::new());
    visit_aggregates(&mut kinds);
    kinds.0
}
