//! The benchmark's report: `replay.json` for tools, `replay.md` (a Markdown table) for people
//! and `docs/BENCHMARKS.md`, and the same table on stdout.

use std::{collections::BTreeMap, fmt::Write as _, path::Path};

use serde::Serialize;

use super::{checks::RowCheck, generate::Visits, replay::ProjectionTime, system::CpuUse};

/// The goal of issue 8: 1,000,000 events replayed in at most 60 s.
pub const GOAL_EVENTS: u64 = 1_000_000;
/// Seconds allowed for [`GOAL_EVENTS`].
pub const GOAL_SECONDS: f64 = 60.0;

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The run's topic prefix (without the dot), also its scratch schema's name.
    pub namespace: String,
    /// Events asked for (`--events`).
    pub requested_events: u64,
    /// The seed.
    pub seed: u64,
    /// Partitions of the events topic.
    pub partitions: i32,
    /// Producer compression.
    pub compression: String,
    /// Records per projection batch (`AGORA_PROJECTOR_BATCH_MAX`).
    pub batch_max_records: usize,
    /// The generation phase.
    pub generation: Generation,
    /// The replay phase.
    pub replay: Replay,
    /// Row counts against the generated log.
    pub checks: Vec<RowCheck>,
    /// The goal, scaled to this run's rate.
    pub goal: Goal,
    /// 0 when the replay finished with no dead letter and every check held.
    pub status: i32,
}

/// What generation wrote and how fast.
#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    /// Events written.
    pub events: u64,
    /// Commit records written (plus one marker per partition).
    pub records: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// From the first marker to the last acknowledgement.
    pub seconds: f64,
    /// `events / seconds`.
    pub events_per_second: f64,
    /// Products, customers and coupons of the shop, and its SKUs.
    pub shop: BTreeMap<&'static str, u64>,
    /// How visits ended.
    pub visits: Visits,
    /// Events by type.
    pub events_by_type: BTreeMap<&'static str, u64>,
}

/// What the replay took.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// Events in the log (each projection reads all of them).
    pub events: u64,
    /// Records in the log (commits and markers).
    pub records: u64,
    /// Until the last projection finished.
    pub wall_seconds: f64,
    /// `events / wall_seconds`.
    pub events_per_second: f64,
    /// Per projection, slowest first.
    pub projections: Vec<ProjectionTime>,
    /// Records the projections would have dead-lettered.
    pub dead_letters: u64,
    /// Peak RSS of the benchmark process during the replay.
    pub peak_rss_mib: Option<f64>,
    /// Who used the CPU during the replay.
    pub cpu: CpuUse,
}

/// The goal, judged at this run's rate.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    /// Events the goal is about.
    pub events: u64,
    /// Seconds allowed.
    pub seconds: f64,
    /// Seconds this run's rate needs for them (the measured wall time when the run had
    /// exactly that many events).
    pub projected_seconds: f64,
    /// Whether `projected_seconds <= seconds`.
    pub met: bool,
    /// `projected_seconds / seconds`.
    pub ratio: f64,
}

impl Goal {
    /// The goal judged at `events_per_second`.
    pub fn at(events_per_second: f64) -> Self {
        let projected_seconds = GOAL_EVENTS as f64 / events_per_second.max(1e-9);
        Self {
            events: GOAL_EVENTS,
            seconds: GOAL_SECONDS,
            projected_seconds,
            met: projected_seconds <= GOAL_SECONDS,
            ratio: projected_seconds / GOAL_SECONDS,
        }
    }

    /// "met (… s, 40 % under the bound)" or "missed (… s, 2.1× the bound)".
    pub fn verdict(&self) -> String {
        if self.met {
            format!(
                "met: {:.1} s for {} events, {:.0} % under the {} s bound",
                self.projected_seconds,
                self.events,
                100.0 * (1.0 - self.ratio),
                self.seconds
            )
        } else {
            format!(
                "missed: {:.1} s for {} events, {:.2}× the {} s bound ({:.1} s over)",
                self.projected_seconds,
                self.events,
                self.ratio,
                self.seconds,
                self.projected_seconds - self.seconds
            )
        }
    }
}

impl Report {
    /// The report as a Markdown section.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let r = &self.replay;
        let g = &self.generation;
        let _ = writeln!(md, "| measure | value |\n|---|---|");
        let _ = writeln!(
            md,
            "| events in the log | {} ({} records, {:.0} MiB) |",
            r.events,
            r.records,
            g.bytes as f64 / 1_048_576.0
        );
        let _ = writeln!(
            md,
            "| replay wall time (all projections in parallel) | {:.2} s |",
            r.wall_seconds
        );
        let _ = writeln!(
            md,
            "| replay rate | **{:.0} events/s** |",
            r.events_per_second
        );
        let _ = writeln!(
            md,
            "| goal (1,000,000 events ≤ 60 s) | {} |",
            self.goal.verdict()
        );
        let _ = writeln!(md, "| dead letters | {} |", r.dead_letters);
        let peak = r
            .peak_rss_mib
            .map_or("n/a".to_string(), |m| format!("{m:.0} MiB"));
        let _ = writeln!(
            md,
            "| peak RSS of the benchmark during the replay | {peak} |"
        );
        let _ = writeln!(
            md,
            "| machine CPU busy during the replay | {:.0} % of {} cores |",
            r.cpu.machine_busy_percent, r.cpu.cores
        );
        let cores: Vec<String> = r
            .cpu
            .cores_used
            .iter()
            .map(|(program, cores)| format!("{program} {cores:.2}"))
            .collect();
        let _ = writeln!(md, "| cores used (average) | {} |", cores.join(", "));
        let _ = writeln!(
            md,
            "| generation (separate) | {} events in {:.2} s = {:.0} events/s |",
            g.events, g.seconds, g.events_per_second
        );
        let _ = writeln!(
            md,
            "\n| projection | store | time to the end of the log | events/s |\n|---|---|---|---|"
        );
        for p in &r.projections {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} s | {:.0} |",
                p.name,
                p.store,
                p.seconds,
                r.events as f64 / p.seconds.max(1e-9)
            );
        }
        let _ = writeln!(
            md,
            "\n| table | store | expected rows | rows | ok |\n|---|---|---|---|---|"
        );
        for c in &self.checks {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                c.table,
                c.store,
                c.expected,
                c.actual,
                if c.ok() { "yes" } else { "**no**" }
            );
        }
        md
    }

    /// Writes `replay.json` and `replay.md` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("replay.json"), json)?;
        std::fs::write(dir.join("replay.md"), self.markdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_goal_is_met_at_or_above_one_million_events_a_minute() {
        assert!(Goal::at(20_000.0).met);
        let missed = Goal::at(10_000.0);
        assert!(!missed.met);
        assert!((missed.projected_seconds - 100.0).abs() < 1e-6);
        assert!(missed.verdict().starts_with("missed"));
    }
}
