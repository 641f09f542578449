//! Command line and run sizes: the full run of issue 8, or `--quick` (tiny sizes and about a
//! second per measurement, for CI).

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, bail};

/// Every scenario, in the order they run.
pub const SCENARIOS: [&str; 6] = [
    "commands",
    "checkout",
    "flash-sale",
    "projection",
    "graphql",
    "replay",
];

/// Usage text.
pub const USAGE: &str = "usage: agora-bench [--quick] [--out DIR] [--bin-dir DIR] [--skip-raw] \
                         [scenario…]\n  scenarios: commands checkout flash-sale projection \
                         graphql replay (default: all)";

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Reduced sizes.
    pub quick: bool,
    /// Where `report.json`, `report.md` and the service logs go.
    pub out: PathBuf,
    /// Where the service binaries are (default: beside this executable).
    pub bin_dir: PathBuf,
    /// Skip the raw limits (only for working on a scenario: the ratios need them).
    pub skip_raw: bool,
    /// Scenarios to run.
    pub scenarios: Vec<String>,
    /// Sizes that follow from `quick`.
    pub sizes: Sizes,
}

/// How much each measurement does.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// Messages for the broker's raw rates.
    pub raw_messages: u64,
    /// Rows for the Postgres raw rates.
    pub pg_rows: u64,
    /// Rows for the ClickHouse raw rate.
    pub ch_rows: u64,
    /// Length of each closed-loop and open-loop phase.
    pub phase: Duration,
    /// Concurrent clients of the closed loops.
    pub clients: usize,
    /// Concurrent clients of the `commands` closed loop: a command waits on three broker hops
    /// (command in, events read back, reply out) while the processor decides whole batches, so
    /// its throughput is found only with many commands in flight.
    pub command_clients: usize,
    /// SKUs the stock adjustments are spread over.
    pub skus: u64,
    /// Products of the catalog (each with `variants` SKUs).
    pub products: usize,
    /// Variants per product.
    pub variants: usize,
    /// Buyers of the flash sale.
    pub flash_buyers: u64,
    /// Units on sale.
    pub flash_units: u32,
    /// Events the projector catches up on.
    pub projection_backlog: u64,
    /// Event rate of the freshness measurement.
    pub freshness_rate: f64,
    /// Events of the replay benchmark.
    pub replay_events: u64,
    /// argon2id hashes per core for the password-hashing raw rate.
    pub hashes_per_core: u64,
}

impl Sizes {
    /// The full run of issue 8.
    pub fn full() -> Self {
        Self {
            raw_messages: 200_000,
            pg_rows: 500_000,
            ch_rows: 1_000_000,
            phase: Duration::from_secs(15),
            clients: 32,
            command_clients: 256,
            skus: 10_000,
            products: 60,
            variants: 3,
            flash_buyers: 10_000,
            flash_units: 100,
            projection_backlog: 20_000,
            freshness_rate: 1_000.0,
            replay_events: 1_000_000,
            hashes_per_core: 40,
        }
    }

    /// A few seconds per scenario.
    pub fn quick() -> Self {
        Self {
            raw_messages: 5_000,
            pg_rows: 20_000,
            ch_rows: 20_000,
            phase: Duration::from_millis(1_000),
            clients: 8,
            command_clients: 8,
            skus: 200,
            products: 24,
            variants: 2,
            flash_buyers: 200,
            flash_units: 20,
            projection_backlog: 400,
            freshness_rate: 100.0,
            replay_events: 3_000,
            hashes_per_core: 3,
        }
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> anyhow::Result<Options> {
    let mut args = args.into_iter();
    let mut quick = false;
    let mut out = PathBuf::from("target/bench");
    let mut bin_dir = None;
    let mut skip_raw = false;
    let mut scenarios = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--skip-raw" => skip_raw = true,
            "--out" => out = PathBuf::from(args.next().context("--out needs a value")?),
            "--bin-dir" => {
                bin_dir = Some(PathBuf::from(
                    args.next().context("--bin-dir needs a value")?,
                ))
            }
            "-h" | "--help" => bail!("help requested"),
            other if SCENARIOS.contains(&other) => {
                if !scenarios.iter().any(|s| s == other) {
                    scenarios.push(other.to_string());
                }
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    if scenarios.is_empty() {
        scenarios = SCENARIOS.iter().map(|s| s.to_string()).collect();
    }
    // Run in the canonical order whatever order they were named in.
    scenarios.sort_by_key(|s| SCENARIOS.iter().position(|c| c == s));
    let bin_dir = match bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()
            .context("locating agora-bench")?
            .parent()
            .context("agora-bench has no directory")?
            .to_path_buf(),
    };
    Ok(Options {
        quick,
        out,
        bin_dir,
        skip_raw,
        scenarios,
        sizes: if quick { Sizes::quick() } else { Sizes::full() },
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn no_scenario_means_all_in_canonical_order() {
        let options = parse(args(&["--quick"])).unwrap();
        assert!(options.quick);
        assert_eq!(options.scenarios.len(), 6);
        let options = parse(args(&["replay", "commands", "replay"])).unwrap();
        assert_eq!(options.scenarios, ["commands", "replay"]);
        assert!(!options.quick);
    }

    #[test]
    fn unknown_arguments_are_refused() {
        assert!(parse(args(&["everything"])).is_err());
        assert!(parse(args(&["--out"])).is_err());
    }
}
