//! Settings of one suite run: command-line flags plus what `infra/lib/faults.sh` passes in the
//! environment (the broker's pid, how to restart the suite's Postgres).

use std::{path::PathBuf, time::Duration};

use thiserror::Error;

/// Usage line for `--help` and errors.
pub const USAGE: &str =
    "usage: agora-fault-suite [--minutes N] [--seed S] [--out FILE] [--shoppers N]

  --minutes N   minutes of load with faults (default 2, fractions allowed)
  --seed S      seed of the fault plan and the shoppers' choices (default: from the clock)
  --out FILE    where the JSON summary goes (default target/faults/summary.json)
  --shoppers N  concurrent shoppers (default 6)

Environment: AGORA_FAULTS_BROKER_PID (pid of the broker to freeze), AGORA_FAULTS_PG_RESTART
(a shell command that restarts the suite's own Postgres; without it the suite terminates the
backends of its own database instead), AGORA_FAULTS_FREEZE_SECS (broker freeze range, default
10-30), and the stack's variables (. .stack/env).";

/// A flag the suite does not understand.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// Unknown flag or missing value.
    #[error("{0}\n{USAGE}")]
    Usage(String),
    /// `--help`.
    #[error("{USAGE}")]
    Help,
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long the load and the faults last.
    pub load: Duration,
    /// Seed of the plan.
    pub seed: u64,
    /// JSON summary path.
    pub out: PathBuf,
    /// Concurrent shopper workers.
    pub shoppers: usize,
    /// Pid of the broker process (SIGSTOP/SIGCONT target).
    pub broker_pid: Option<u32>,
    /// Shell command restarting the suite's Postgres, when it has its own.
    pub pg_restart: Option<String>,
    /// Shortest and longest broker freeze.
    pub freeze: (u64, u64),
}

impl Config {
    /// Reads flags and environment.
    pub fn parse(args: &[String]) -> Result<Self, ConfigError> {
        let mut minutes = 2.0_f64;
        let mut seed = None;
        let mut out = PathBuf::from("target/faults/summary.json");
        let mut shoppers = 6usize;
        let mut iter = args.iter();
        while let Some(flag) = iter.next() {
            let mut value = |name: &str| {
                iter.next()
                    .cloned()
                    .ok_or_else(|| ConfigError::Usage(format!("{name} needs a value")))
            };
            match flag.as_str() {
                "--minutes" => {
                    minutes = value("--minutes")?
                        .parse()
                        .ok()
                        .filter(|m: &f64| *m > 0.0 && *m <= 24.0 * 60.0)
                        .ok_or_else(|| ConfigError::Usage("--minutes: a positive number".into()))?
                }
                "--seed" => {
                    seed =
                        Some(value("--seed")?.parse().map_err(|_| {
                            ConfigError::Usage("--seed: an unsigned integer".into())
                        })?)
                }
                "--out" => out = PathBuf::from(value("--out")?),
                "--shoppers" => {
                    shoppers = value("--shoppers")?
                        .parse()
                        .ok()
                        .filter(|n| (1..=64).contains(n))
                        .ok_or_else(|| ConfigError::Usage("--shoppers: 1 to 64".into()))?
                }
                "-h" | "--help" => return Err(ConfigError::Help),
                other => return Err(ConfigError::Usage(format!("unknown argument {other}"))),
            }
        }
        let seed = seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 % 1_000_000_007)
                .unwrap_or(1)
        });
        let freeze = std::env::var("AGORA_FAULTS_FREEZE_SECS")
            .ok()
            .and_then(|range| {
                let (low, high) = range.split_once('-')?;
                Some((low.trim().parse().ok()?, high.trim().parse().ok()?))
            })
            .filter(|(low, high): &(u64, u64)| *low >= 1 && low <= high)
            .unwrap_or((10, 30));
        Ok(Self {
            load: Duration::from_secs_f64(minutes * 60.0),
            seed,
            out,
            shoppers,
            broker_pid: std::env::var("AGORA_FAULTS_BROKER_PID")
                .ok()
                .and_then(|pid| pid.trim().parse().ok()),
            pg_restart: std::env::var("AGORA_FAULTS_PG_RESTART")
                .ok()
                .filter(|command| !command.trim().is_empty()),
            freeze,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_set_duration_seed_and_output() {
        let config = Config::parse(&args(&[
            "--minutes",
            "0.5",
            "--seed",
            "42",
            "--out",
            "x.json",
        ]))
        .unwrap();
        assert_eq!(config.load, Duration::from_secs(30));
        assert_eq!(config.seed, 42);
        assert_eq!(config.out, PathBuf::from("x.json"));
    }

    #[test]
    fn unknown_flags_and_bad_values_are_usage_errors() {
        assert!(matches!(
            Config::parse(&args(&["--fast"])),
            Err(ConfigError::Usage(_))
        ));
        assert!(matches!(
            Config::parse(&args(&["--minutes", "-1"])),
            Err(ConfigError::Usage(_))
        ));
        assert!(matches!(
            Config::parse(&args(&["--seed"])),
            Err(ConfigError::Usage(_))
        ));
    }
}
