//! `agora-fault-suite`: runs the fault suite; exit 0 when every check passed, 1 on a violation
//! or a failure of the suite itself, 2 on a usage error. `infra/stack faults` is the usual way
//! to run it (it gives the suite its own Postgres and the broker's pid).

use std::process::ExitCode;

use agora_faults::config::{Config, ConfigError};

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("agora-fault-suite");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::parse(&args) {
        Ok(config) => config,
        Err(ConfigError::Help) => {
            println!("{}", agora_faults::config::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("agora-fault-suite: {error}");
            return ExitCode::from(2);
        }
    };
    match agora_faults::run(config).await {
        Ok(summary) if summary.passed => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("agora-fault-suite: {error:#}");
            ExitCode::FAILURE
        }
    }
}
