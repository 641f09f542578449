//! `agora-mail-sink`: the local SMTP sink. Accepts every message on `AGORA_MAIL_SINK_ADDR`
//! (default `127.0.0.1:2525`) and stores it as `<n>.eml` in `AGORA_MAIL_SINK_DIR` (default
//! `.stack/data/mail`) until SIGINT/SIGTERM. See [`projectors::mail_sink`].

use std::process::ExitCode;

use projectors::mail_sink::{MailSink, SinkConfig};
use runtime::shutdown::Shutdown;

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("agora-mail-sink");
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "agora-mail-sink failed");
            eprintln!("agora-mail-sink: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let config = SinkConfig::from_env()?;
    let shutdown = Shutdown::new().on_signals();
    let sink = MailSink::bind(&config).await.map_err(|error| {
        anyhow::anyhow!(
            "binding {} with messages in {}: {error}",
            config.addr,
            config.dir.display()
        )
    })?;
    tracing::info!(addr = %sink.local_addr(), dir = %sink.dir().display(), "mail sink listening");
    sink.run_until_stopped(shutdown).await;
    tracing::info!("mail sink stopped");
    Ok(())
}
