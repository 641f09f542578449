//! `agora-replay-bench`: generates a realistic events log and times a rebuild of every
//! projection from it (see `projectors::bench`).
//!
//! ```text
//! agora-replay-bench [--events N] [--seed S] [--keep] [--out DIR] [--compression none|lz4]
//!                    [--timeout-secs N]
//! ```
//!
//! Reads the stack's settings from the environment (`. .stack/env`), like the projector;
//! `AGORA_PROJECTOR_BATCH_MAX` and `AGORA_PROJECTOR_LINGER_MS` tune the projections' batches.
//! Exit codes: 0 measured with no dead letter and every row check held, 1 otherwise or on
//! failure, 2 for bad arguments.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::{Context, bail};
use projectors::{
    bench::{self, Options},
    config::Config,
};

const USAGE: &str = "usage: agora-replay-bench [--events N] [--seed S] [--keep] [--out DIR] \
                     [--compression none|lz4] [--timeout-secs N]";

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("agora-replay-bench");
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("agora-replay-bench: {error:#}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "agora-replay-bench failed");
            eprintln!("agora-replay-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options) -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    let report = bench::run(&config, options).await?;
    println!("\n{}", report.markdown());
    println!(
        "report: {} and {}",
        options.out.join("replay.json").display(),
        options.out.join("replay.md").display()
    );
    if report.status != 0 {
        eprintln!("agora-replay-bench: dead letters or row counts are off; see the report");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
    let mut options = Options::default();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--events" => options.events = value("--events")?.parse().context("--events")?,
            "--seed" => options.seed = value("--seed")?.parse().context("--seed")?,
            "--keep" => options.keep = true,
            "--out" => options.out = PathBuf::from(value("--out")?),
            "--compression" => options.compression = value("--compression")?,
            "--timeout-secs" => {
                let seconds: u64 = value("--timeout-secs")?.parse().context("--timeout-secs")?;
                options.timeout = Duration::from_secs(seconds);
            }
            "-h" | "--help" => bail!("help requested"),
            other => bail!("unknown argument {other:?}"),
        }
    }
    if options.events == 0 {
        bail!("--events must be at least 1");
    }
    Ok(options)
}
