//! The run's report: `report.json` (every figure, for tools and the CI check) and `report.md`
//! (the goals table, raw limits, scenario details and memory, for people and
//! docs/BENCHMARKS.md).

pub mod goals;

use std::{collections::BTreeMap, fmt::Write as _, path::Path};

use serde::Serialize;
use serde_json::{Value, json};

use goals::{GoalRow, fmt};

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `full` or `quick`.
    pub mode: &'static str,
    /// Build profile of the service binaries (the name of their directory).
    pub profile: String,
    /// When the run started (UTC).
    pub started_at: String,
    /// Seconds the whole run took.
    pub seconds: f64,
    /// The machine.
    pub machine: BTreeMap<&'static str, Value>,
    /// The run's namespace (topic prefix and database names).
    pub namespace: String,
    /// Raw limits (absent with `--skip-raw`).
    pub raw: Option<Value>,
    /// Figures per scenario.
    pub scenarios: BTreeMap<String, Value>,
    /// Why a scenario failed, if one did.
    pub failures: BTreeMap<String, String>,
    /// Peak RSS per service process, MiB.
    pub memory: BTreeMap<String, f64>,
    /// The goals of issue 8.
    pub goals: Vec<GoalRow>,
}

impl Report {
    /// Judges the goals from the figures gathered so far.
    pub fn judge(&mut self) {
        let figures = json!({ "raw": self.raw, "scenarios": self.scenarios });
        self.goals = goals::judge(&figures);
    }

    /// Writes `report.json` and `report.md` into `out`.
    pub fn write(&self, out: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(out)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(out.join("report.json"), json)?;
        std::fs::write(out.join("report.md"), self.markdown())
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "Agora benchmark ({} run, {} binaries), {} — {:.0} s, namespace `{}`.\n",
            self.mode, self.profile, self.started_at, self.seconds, self.namespace
        );
        md.push_str("| scenario | figure | measured | goal | result | by how much |\n|---|---|---|---|---|---|\n");
        for goal in &self.goals {
            let result = match goal.met {
                Some(true) => "**met**",
                Some(false) => "**missed**",
                None => "not run",
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {result} | {} |",
                goal.scenario,
                goal.figure,
                fmt(goal.value, goal.unit),
                goal.goal,
                goal.margin
            );
        }
        if let Some(raw) = &self.raw {
            md.push_str("\n**Raw limits (same run)**\n\n| limit | rate |\n|---|---|\n");
            let rows = [
                (
                    "broker produce (idempotent, acks=all)",
                    "/broker_produce/per_second",
                    "msg/s",
                ),
                (
                    "broker consume-transform-produce",
                    "/broker_consume_transform_produce/per_second",
                    "msg/s",
                ),
                (
                    "Postgres COPY, read-model rows",
                    "/postgres_copy/per_second",
                    "rows/s",
                ),
                (
                    "Postgres multi-row INSERT, read-model rows",
                    "/postgres_insert/per_second",
                    "rows/s",
                ),
                (
                    "ClickHouse insert, fact rows",
                    "/clickhouse_insert/per_second",
                    "rows/s",
                ),
                (
                    "axum hello-world (closed loop)",
                    "/http_hello/per_second",
                    "req/s",
                ),
                (
                    "argon2id password hashes, all cores (caps registrations)",
                    "/password_hashes/per_second",
                    "hashes/s",
                ),
            ];
            for (name, pointer, unit) in rows {
                let _ = writeln!(
                    md,
                    "| {name} | {} |",
                    fmt(raw.pointer(pointer).and_then(Value::as_f64), unit)
                );
            }
        }
        self.loads_table(&mut md);
        self.other_figures(&mut md);
        if !self.memory.is_empty() {
            md.push_str("\n**Peak RSS per process (VmHWM)**\n\n| process | MiB |\n|---|---|\n");
            for (name, mib) in &self.memory {
                let _ = writeln!(md, "| {name} | {mib:.1} |");
            }
        }
        for (scenario, error) in &self.failures {
            let _ = writeln!(md, "\n**{scenario} failed**: {error}");
        }
        md
    }

    fn loads_table(&self, md: &mut String) {
        let loads = [
            ("commands", "/closed", "stock adjustments, closed loop"),
            ("commands", "/open", "stock adjustments, open loop at half"),
            (
                "checkout",
                "/closed",
                "journeys (register → paid), closed loop",
            ),
            ("checkout", "/open", "journeys, open loop at half"),
            (
                "graphql",
                "/product_page/closed",
                "product page, closed loop",
            ),
            (
                "graphql",
                "/product_page/open",
                "product page, open loop at half",
            ),
            (
                "graphql",
                "/product_page_signed_in/closed",
                "product page signed in (never cached), closed loop",
            ),
            (
                "graphql",
                "/product_page_signed_in/open",
                "product page signed in, open loop at half",
            ),
            (
                "graphql",
                "/product_detail/closed",
                "product detail, closed loop",
            ),
            (
                "graphql",
                "/product_detail/open",
                "product detail, open loop at half",
            ),
            (
                "graphql",
                "/order_history/closed",
                "order history, closed loop",
            ),
            (
                "graphql",
                "/order_history/open",
                "order history, open loop at half",
            ),
            (
                "projection",
                "/freshness/load",
                "freshness background load (open loop)",
            ),
        ];
        md.push_str("\n**Load runs** (latency of the whole operation; open loops from the scheduled send)\n\n");
        md.push_str("| scenario | run | ok | errors | rate | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|---|\n");
        for (scenario, pointer, name) in loads {
            let Some(run) = self
                .scenarios
                .get(scenario)
                .and_then(|s| s.pointer(pointer))
            else {
                continue;
            };
            let f = |p: &str| run.pointer(p).and_then(Value::as_f64).unwrap_or(f64::NAN);
            let _ = writeln!(
                md,
                "| {scenario} | {name} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
                f("/ok"),
                f("/errors"),
                fmt(Some(f("/per_second")), "/s"),
                f("/latency/p50_ms"),
                f("/latency/p95_ms"),
                f("/latency/p99_ms"),
                f("/latency/max_ms")
            );
        }
        for run in ["closed", "open"] {
            let Some(steps) = self.scenarios.get("checkout").and_then(|s| s.get(run)) else {
                continue;
            };
            for step in ["to_confirmed", "to_paid"] {
                let f = |p: &str| {
                    steps
                        .pointer(&format!("/{step}{p}"))
                        .and_then(Value::as_f64)
                        .unwrap_or(f64::NAN)
                };
                let _ = writeln!(
                    md,
                    "| checkout | {run} loop: checkout request {} | {} | | | {:.1} | {:.1} | {:.1} | {:.1} |",
                    step.replace('_', " "),
                    steps[format!("orders_{}", &step[3..])]
                        .as_u64()
                        .unwrap_or(0),
                    f("/p50_ms"),
                    f("/p95_ms"),
                    f("/p99_ms"),
                    f("/max_ms")
                );
            }
        }
    }

    fn other_figures(&self, md: &mut String) {
        md.push_str("\n**Other figures**\n\n| scenario | figure | value |\n|---|---|---|\n");
        let figures = [
            ("flash-sale", "/buyers", "buyers"),
            ("flash-sale", "/units", "units on sale"),
            (
                "flash-sale",
                "/checkout_seconds",
                "all checkouts answered (s)",
            ),
            ("flash-sale", "/settle_seconds", "every order decided (s)"),
            ("flash-sale", "/confirmed", "orders confirmed"),
            ("flash-sale", "/rejected", "orders rejected"),
            ("flash-sale", "/oversold", "oversold"),
            ("projection", "/throughput/backlog_events", "backlog events"),
            (
                "projection",
                "/throughput/projector_healthy_seconds",
                "projector start until /healthz (s)",
            ),
            (
                "projection",
                "/throughput/postgres_seconds",
                "spawn → backlog in Postgres (s)",
            ),
            (
                "projection",
                "/throughput/clickhouse_seconds",
                "spawn → backlog in ClickHouse (s)",
            ),
            (
                "projection",
                "/freshness/target_events_per_second",
                "freshness load, events/s asked",
            ),
            (
                "projection",
                "/freshness/load/per_second",
                "freshness load, events/s reached",
            ),
            ("projection", "/freshness/probes", "freshness probes"),
            (
                "projection",
                "/freshness/latency/p50_ms",
                "freshness p50 from reply (ms)",
            ),
            (
                "projection",
                "/freshness/latency/p99_ms",
                "freshness p99 from reply (ms)",
            ),
            (
                "projection",
                "/freshness/latency/max_ms",
                "freshness max from reply (ms)",
            ),
            (
                "projection",
                "/freshness/latency_from_send/p99_ms",
                "freshness p99 from send (ms)",
            ),
            ("replay", "/events", "events replayed"),
            ("replay", "/wall_seconds", "replay wall time (s)"),
            ("replay", "/events_per_second", "replay events/s"),
            ("replay", "/dead_letters", "dead letters"),
        ];
        for (scenario, pointer, name) in figures {
            if let Some(value) = self
                .scenarios
                .get(scenario)
                .and_then(|s| s.pointer(pointer))
            {
                let shown = match value.as_f64() {
                    Some(v) if v.fract() != 0.0 => format!("{v:.2}"),
                    Some(v) if v.abs() < 100.0 => format!("{v:.0}"),
                    Some(v) => fmt(Some(v), "").trim().to_string(),
                    None => value.to_string(),
                };
                let _ = writeln!(md, "| {scenario} | {name} | {shown} |");
            }
        }
    }
}
