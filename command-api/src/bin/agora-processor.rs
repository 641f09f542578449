//! `agora-processor`: a command processor instance (join more for scale-out, up to the
//! partition count).

use std::process::ExitCode;

use command_api::config::ProcessorConfig;
use runtime::{health, shutdown::Shutdown};

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("processor");
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agora-processor: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let config = ProcessorConfig::from_env()?;
    let shutdown = Shutdown::new().on_signals();
    let readiness = health::Readiness::default();
    let (addr, server) = health::serve(
        config.health_addr,
        health::router(readiness.clone()),
        shutdown.clone(),
    )
    .await?;
    tracing::info!(%addr, "health endpoint listening");
    command_api::processor::run(&config, readiness, shutdown.clone()).await?;
    shutdown.trigger();
    server.await??;
    Ok(())
}
