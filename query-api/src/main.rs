//! `agora-query-api`: serves the GraphQL read API until SIGINT or SIGTERM.
//!
//! `agora-query-api sdl` prints the schema (SDL) instead, for client code generators.

use anyhow::Context;
use query_api::{config::Config, schema, startup::Application};
use runtime::shutdown::Shutdown;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The SDL needs no configuration (no token secret), so it works anywhere.
    if std::env::args().nth(1).as_deref() == Some("sdl") {
        print!("{}", schema::sdl());
        return Ok(());
    }
    let config = Config::from_env().context("reading configuration")?;
    runtime::telemetry::init("query-api");
    let application = Application::build(config).await?;
    application
        .run_until_stopped(Shutdown::new().on_signals())
        .await
}
