//! Measurements of this process and of the machine, read from `/proc` (Linux).
//!
//! The replay's bound is a question of who uses the two cores: the benchmark process (log
//! readers, JSON decoding, folding), the broker serving nine readers, Postgres and ClickHouse.
//! Sampling CPU time per program before and after the replay answers it with evidence. Peak
//! RSS is the kernel's high-water mark (`VmHWM`), reset before the replay so it is the
//! replay's own and not the generator's.

use std::{collections::BTreeMap, time::Instant};

use serde::Serialize;

/// Programs whose CPU time is reported, matched on the start of their command name.
const PROGRAMS: &[(&str, &str)] = &[
    ("tansu", "tansu"),
    ("postgres", "postgres"),
    ("clickhouse", "clickhouse"),
];

/// CPU counters at one instant.
#[derive(Debug, Clone)]
pub struct CpuSample {
    at: Instant,
    busy: u64,
    total: u64,
    own: u64,
    programs: BTreeMap<&'static str, u64>,
}

/// CPU use between two samples.
#[derive(Debug, Clone, Serialize)]
pub struct CpuUse {
    /// Cores of the machine.
    pub cores: usize,
    /// Share of all cores busy, in percent (everyone's work, not only the benchmark's).
    pub machine_busy_percent: f64,
    /// Cores used on average, per program (`agora-replay-bench` is this process).
    pub cores_used: BTreeMap<String, f64>,
}

/// Clears the peak RSS so the next [`peak_rss_mib`] covers only what follows. Best effort:
/// without it the figure is the whole process's peak.
pub fn reset_peak_rss() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        tracing::debug!(%error, "could not reset the peak RSS");
    }
}

/// Peak resident set size of this process, in MiB (`VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Samples the machine's and each program's CPU counters.
pub fn sample() -> CpuSample {
    let (busy, total) = machine_ticks().unwrap_or((0, 0));
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| process_ticks(&stat).map(|(_, ticks)| ticks))
        .unwrap_or(0);
    let mut programs = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let Some((comm, ticks)) = process_ticks(&stat) else {
                continue;
            };
            if let Some((label, _)) = PROGRAMS.iter().find(|(_, p)| comm.starts_with(p)) {
                *programs.entry(*label).or_default() += ticks;
            }
        }
    }
    CpuSample {
        at: Instant::now(),
        busy,
        total,
        own,
        programs,
    }
}

/// CPU use from `before` to `after`.
pub fn usage(before: &CpuSample, after: &CpuSample) -> CpuUse {
    let hz = clock_ticks_per_second();
    let seconds = after.at.duration_since(before.at).as_secs_f64().max(1e-9);
    let cores_of = |ticks: u64| ticks as f64 / hz / seconds;
    let mut cores_used = BTreeMap::new();
    cores_used.insert(
        "agora-replay-bench".to_string(),
        cores_of(after.own.saturating_sub(before.own)),
    );
    for (label, ticks) in &after.programs {
        let earlier = before.programs.get(label).copied().unwrap_or(0);
        cores_used.insert(label.to_string(), cores_of(ticks.saturating_sub(earlier)));
    }
    let total = after.total.saturating_sub(before.total).max(1);
    CpuUse {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        machine_busy_percent: 100.0 * after.busy.saturating_sub(before.busy) as f64 / total as f64,
        cores_used,
    }
}

/// `(busy, total)` ticks of all cores from `/proc/stat`.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// `(command name, utime + stime)` from a `/proc/<pid>/stat` line.
fn process_ticks(stat: &str) -> Option<(String, u64)> {
    // The command name is in parentheses and may itself contain spaces or parentheses.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15 (1-based).
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        // The Linux default, when getconf is unavailable.
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_with_spaces_in_the_name_parses() {
        let line = "42 (tansu worker) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0";
        assert_eq!(process_ticks(line), Some(("tansu worker".to_string(), 300)));
    }

    #[test]
    fn this_process_has_a_peak_rss() {
        assert!(peak_rss_mib().is_some_and(|mib| mib > 0.0));
    }
}
