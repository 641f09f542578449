//! `agora-projector`: builds the read models from the events log.
//!
//! - `agora-projector migrate`: create and migrate the stores; reset derived state when the
//!   broker holds a new log.
//! - `agora-projector run`: migrate's checks, then project until SIGINT/SIGTERM.
//! - `agora-projector rebuild-check [--keep]`: rebuild from offset 0 beside the live read models
//!   and compare full contents; exits 1 on a difference.
//! - `agora-projector list | rebuild <projection> | verify <projection>`: the replay CLI
//!   (`projectors::replay`): projections with their version and lag; rebuild beside the live
//!   version and switch readers atomically; compare the live version with a fresh build.
//! - `agora-projector dlq list [--projection NAME] [--json] | dlq redrive [--projection NAME]
//!   [--letter PARTITION:OFFSET]...`: list the dead letters (each once, with its re-drive status);
//!   apply their records to their projections once fixed (exit 1 when some still fail, 2 on a
//!   usage error); see `docs/DEAD_LETTERS.md`.
//! - `agora-projector restore`: republish the event archive into an empty events topic and
//!   start a new log epoch; refuses (exit 3, nothing written) when the topic holds anything
//!   but a prefix of the archive.

use std::process::ExitCode;

use projectors::{
    archive::restore::{self, RestoreError},
    config::Config,
    migrate::{self, EpochCheck},
    rebuild,
    startup::Application,
};
use runtime::shutdown::Shutdown;

const USAGE: &str = "usage: agora-projector migrate | run | rebuild-check [--keep] | restore";

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("agora-projector");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("migrate") => run_migrate().await,
        Some("run") => run().await,
        Some("restore") => run_restore().await,
        Some(command @ ("list" | "rebuild" | "verify")) => {
            projectors::replay::cli::run(command, &args[1..])
                .await
                .map_err(anyhow::Error::from)
        }
        Some("dlq") => projectors::dead_letters::run(&args[1..])
            .await
            .map_err(anyhow::Error::from),
        Some("rebuild-check") => run_rebuild_check(args.iter().any(|a| a == "--keep")).await,
        _ => {
            eprintln!(
                "{USAGE}\n{}\n{}",
                projectors::replay::cli::USAGE,
                projectors::dead_letters::USAGE
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "agora-projector failed");
            eprintln!("agora-projector: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_migrate() -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    let (stores, check) = migrate::migrate(&config).await?;
    match check {
        EpochCheck::Recorded => println!("log_epoch={} (recorded)", stores.log_epoch),
        EpochCheck::Unchanged => println!("log_epoch={} (unchanged)", stores.log_epoch),
        EpochCheck::Reset { previous } => {
            println!("log_epoch={} (reset from {previous})", stores.log_epoch)
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run() -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    let shutdown = Shutdown::new().on_signals();
    let application = Application::build(config, shutdown).await?;
    application.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

async fn run_rebuild_check(keep: bool) -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    let report = rebuild::rebuild_check(&config, keep).await?;
    for table in &report.tables {
        println!(
            "{:<10} {:<20} live={:<8} rebuilt={:<8} differing={}",
            table.store, table.table, table.live_rows, table.rebuilt_rows, table.differing_rows
        );
    }
    if report.live_moved {
        println!("live projections moved on during the check; run it again when the log is quiet");
    }
    if report.matches() {
        println!("rebuild matches the live read models");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("rebuild DIFFERS from the live read models");
        Ok(ExitCode::FAILURE)
    }
}

async fn run_restore() -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    match restore::restore(&config).await {
        Ok(report) => {
            for partition in &report.partitions {
                println!(
                    "partition {:<3} present={:<8} republished={}",
                    partition.partition, partition.present, partition.republished
                );
            }
            println!("restored; log_epoch={} (restore)", report.log_epoch);
            Ok(ExitCode::SUCCESS)
        }
        Err(RestoreError::Refused(reason)) => {
            eprintln!("agora-projector restore: refused: {reason}");
            // Distinct from failures (1), so the stack tooling can tell "nothing to restore
            // here" from a restore that broke.
            Ok(ExitCode::from(3))
        }
        Err(error) => Err(error.into()),
    }
}
