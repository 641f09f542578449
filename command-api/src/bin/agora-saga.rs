//! `agora-saga`: the checkout saga (process manager). Run one instance; a second one would only
//! repeat commands, which the processors answer once.

use std::process::ExitCode;

use command_api::saga::runner::{self, SagaConfig};
use runtime::{health, shutdown::Shutdown};

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("saga");
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agora-saga: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let config = SagaConfig::from_env()?;
    let shutdown = Shutdown::new().on_signals();
    let readiness = health::Readiness::default();
    let (addr, server) = health::serve(
        config.health_addr,
        health::router(readiness.clone()),
        shutdown.clone(),
    )
    .await?;
    tracing::info!(%addr, "health endpoint listening");
    let result = runner::run(&config, readiness, shutdown.clone()).await;
    // One shutdown path: whether the saga stopped or failed, the health server stops too.
    shutdown.trigger();
    server.await??;
    Ok(result?)
}
