//! The run's summary: printed for people and written as JSON for machines.

use std::{collections::BTreeMap, path::Path};

use anyhow::Context;
use serde::Serialize;

use crate::{
    audit::{CheckResult, model::LogTotals},
    chaos::Injected,
    client::CounterValues,
    deployment::InstanceReport,
    settle::Settled,
};

/// Everything a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Seed of the plan and the shoppers.
    pub seed: u64,
    /// Minutes of load.
    pub minutes: f64,
    /// The command to run the same plan again.
    pub rerun: String,
    /// The load's counters.
    pub load: CounterValues,
    /// Refusals that followed an attempt whose fate was unknown (`what status code: message`).
    pub uncertain_refusals: Vec<String>,
    /// Acknowledged commands per kind.
    pub acknowledged: BTreeMap<String, u64>,
    /// Faults injected, in time order.
    pub faults: Vec<Injected>,
    /// Faults per kind.
    pub faults_by_kind: BTreeMap<String, u64>,
    /// How the Postgres fault was done.
    pub postgres_fault: String,
    /// Service starts and deaths nobody asked for.
    pub services: Vec<InstanceReport>,
    /// The settle phase.
    pub settle: Settled,
    /// What the log held.
    pub log: LogTotals,
    /// Orders per final status.
    pub orders: BTreeMap<String, u64>,
    /// Payments per final status.
    pub payments: BTreeMap<String, u64>,
    /// Paid orders whose reservation expired first (escalated to staff, not a violation).
    pub escalations: Vec<String>,
    /// ClickHouse and Postgres figures compared.
    pub totals: BTreeMap<String, (i64, i64)>,
    /// One verdict per check.
    pub checks: Vec<CheckResult>,
    /// Every check passed.
    pub passed: bool,
}

impl Summary {
    /// Prints the summary.
    pub fn print(&self) {
        let l = &self.load;
        println!(
            "\n=== fault suite summary (seed {}, {:.1} min) ===",
            self.seed, self.minutes
        );
        println!(
            "commands: sent {}  succeeded {}  rejected {} ({} after an unanswered attempt)  retried {}  unanswered {}",
            l.sent, l.succeeded, l.rejected, l.rejected_after_retry, l.retried, l.unanswered
        );
        for refusal in &self.uncertain_refusals {
            println!("  refused after an unanswered attempt: {refusal}");
        }
        println!(
            "query API reads: answered {}  failed attempts {}",
            l.reads_ok, l.reads_failed
        );
        let acked: Vec<String> = self
            .acknowledged
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!("acknowledged: {}", acked.join(", "));
        let kinds: Vec<String> = self
            .faults_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!("faults: {} ({})", self.faults.len(), kinds.join(", "));
        println!("postgres fault: {}", self.postgres_fault);
        let deaths: Vec<String> = self
            .services
            .iter()
            .filter(|s| s.unexpected_exits > 0)
            .map(|s| format!("{} {}", s.name, s.unexpected_exits))
            .collect();
        println!(
            "services died on their own (restarted): {}",
            if deaths.is_empty() {
                "none".into()
            } else {
                deaths.join(", ")
            }
        );
        println!(
            "settled: {} after {:.1} s",
            if self.settle.settled { "yes" } else { "NO" },
            self.settle.secs
        );
        let g = &self.log;
        println!(
            "log: {} records, {} commits, {} rejections, {} events, {} markers, {} zombie writes skipped",
            g.records, g.commits, g.rejections, g.events, g.markers, g.zombies
        );
        println!("orders: {:?}", self.orders);
        println!("payments: {:?}", self.payments);
        if !self.escalations.is_empty() {
            println!(
                "escalations (paid after the reservation expired): {}",
                self.escalations.len()
            );
        }
        println!("checks:");
        for check in &self.checks {
            println!(
                "  [{}] {:<28} {}",
                if check.passed { "pass" } else { "FAIL" },
                check.name,
                check.means
            );
            for example in &check.examples {
                println!("         - {example}");
            }
            if check.violations > check.examples.len() as u64 {
                println!("         … {} violations in all", check.violations);
            }
        }
        println!(
            "{}",
            if self.passed {
                "FAULT SUITE PASSED"
            } else {
                "FAULT SUITE FAILED"
            }
        );
        println!("rerun this plan: {}", self.rerun);
    }

    /// Writes the JSON summary.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }
}
