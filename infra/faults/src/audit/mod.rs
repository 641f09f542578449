//! The auditor: folds the counted log (read with `runtime::log::LogReader`, so it judges records
//! exactly as every service does) with the domain's own `evolve`, checks the invariants at every
//! event, and after the system settled compares the log, the acknowledgements and the read
//! models.
//!
//! # Layout
//! - [`model`]: the incremental fold and the per-event checks.
//! - [`aggregates`]: per-aggregate trackers (stock, orders, payments, coupons).
//! - [`work`]: saga work still owed (what "settled" means) and the final state checks.
//! - [`stores`]: read models against a rebuild, ClickHouse against Postgres, Postgres against
//!   the log.

pub mod aggregates;
pub mod model;
pub mod stores;
#[cfg(test)]
mod tests;
pub mod work;

use std::collections::BTreeMap;

use serde::Serialize;

/// Every check the suite reports, in order, with what it means.
pub const CHECKS: &[(&str, &str)] = &[
    (
        "acked_commands_in_log_once",
        "every success-acknowledged command has exactly one counted commit, on its stream",
    ),
    (
        "event_ids_unique",
        "no event id appears twice in the counted log",
    ),
    (
        "stream_versions_gap_free",
        "every stream's versions run 1, 2, 3, … without gaps or repeats",
    ),
    (
        "command_ids_counted_once",
        "no command id is answered by two counted records",
    ),
    ("no_poison_records", "every record of the log decodes"),
    (
        "stock_conserved",
        "per SKU at every event: received + adjustments + restocks − committed = on hand, reserved = open reservations",
    ),
    (
        "stock_never_negative",
        "per SKU at every event: on hand ≥ reserved ≥ 0",
    ),
    (
        "order_transitions_legal",
        "every order starts placed and only moves along the state machine's edges",
    ),
    ("payment_captured_once", "no payment is captured twice"),
    (
        "refunds_within_captures",
        "per payment refunded ≤ captured ≤ authorized ≤ initiated; per order refunded ≤ paid",
    ),
    (
        "coupon_limits",
        "active redemptions never exceed the global and per-customer limits",
    ),
    (
        "saga_settled",
        "after the load: no order placed, no payment in flight, no stock held for a closed or paid order, no money kept for an order that did not keep it",
    ),
    (
        "read_models_equal_rebuild",
        "agora-projector rebuild-check and verify <unit> find the live read models equal to a build from offset 0",
    ),
    (
        "postgres_matches_log",
        "the orders and inventory read models agree with the folded log",
    ),
    (
        "clickhouse_matches_postgres",
        "ClickHouse sales and stock totals equal the Postgres read models",
    ),
    (
        "faults_injected",
        "the plan ran: at least 10 faults, 2 broker freezes, 1 Postgres fault, every service killed",
    ),
];

/// Violations found, by check, with a few examples each.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Violations {
    by_check: BTreeMap<&'static str, (u64, Vec<String>)>,
}

/// Examples kept per check.
const EXAMPLES: usize = 12;

impl Violations {
    /// Records one violation of `check`.
    pub fn add(&mut self, check: &'static str, detail: impl Into<String>) {
        let entry = self.by_check.entry(check).or_default();
        entry.0 += 1;
        if entry.1.len() < EXAMPLES {
            entry.1.push(detail.into());
        }
    }

    /// How many violations of `check`, and examples.
    pub fn of(&self, check: &str) -> (u64, Vec<String>) {
        self.by_check.get(check).cloned().unwrap_or_default()
    }
}

/// The verdict of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Name.
    pub name: &'static str,
    /// What it checks.
    pub means: &'static str,
    /// No violation.
    pub passed: bool,
    /// Violations found.
    pub violations: u64,
    /// A few of them.
    pub examples: Vec<String>,
}

/// One verdict per check in [`CHECKS`].
pub fn verdicts(violations: &Violations) -> Vec<CheckResult> {
    CHECKS
        .iter()
        .map(|(name, means)| {
            let (count, examples) = violations.of(name);
            CheckResult {
                name,
                means,
                passed: count == 0,
                violations: count,
                examples,
            }
        })
        .collect()
}
