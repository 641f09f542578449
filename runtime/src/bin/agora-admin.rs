//! `agora-admin`: cluster chores run by the stack tooling.
//!
//! `agora-admin topics` creates the topics (when missing) and makes sure a log epoch exists,
//! printing `log_epoch=<uuid>` and `fresh_broker=true|false` for scripts.

use std::process::ExitCode;

use runtime::{config::KafkaConfig, topics};

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    match command.as_str() {
        "topics" => match run_topics().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("agora-admin topics: {error:#}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: agora-admin topics");
            ExitCode::from(2)
        }
    }
}

async fn run_topics() -> anyhow::Result<()> {
    let kafka = KafkaConfig::from_env()?;
    let bootstrap = topics::ensure_topics(&kafka).await?;
    println!("log_epoch={}", bootstrap.epoch.log_epoch);
    println!("fresh_broker={}", bootstrap.fresh_broker);
    Ok(())
}
