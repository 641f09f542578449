//! The Postgres fault.
//!
//! `infra/stack faults` gives the suite a Postgres server of its own (a throw-away cluster on a
//! free port) and passes the command that restarts it in `AGORA_FAULTS_PG_RESTART`: the suite
//! then really restarts Postgres under load. Without it (the binary run directly against a
//! shared server, where a restart would disturb everyone else), the substitute is to terminate
//! every backend connected to the suite's own database with `pg_terminate_backend`: each service
//! sees its connections drop exactly as in a restart, but the server stays up for others. The
//! summary says which of the two happened.

use std::time::Duration;

use anyhow::Context;
use sqlx::Connection;

/// How the suite disturbs Postgres.
#[derive(Debug, Clone)]
pub enum PostgresFault {
    /// Restart the suite's own server with this shell command.
    Restart(String),
    /// Terminate every backend of `database` through the admin URL.
    TerminateBackends {
        /// Admin connection URL.
        admin_url: String,
        /// The suite's database.
        database: String,
    },
}

impl PostgresFault {
    /// What the summary calls the target.
    pub fn target(&self) -> String {
        match self {
            PostgresFault::Restart(_) => "postgres (suite's own server, restarted)".into(),
            PostgresFault::TerminateBackends { database, .. } => {
                format!("postgres backends of {database} (terminated; shared server not restarted)")
            }
        }
    }

    /// Injects the fault.
    pub async fn inject(&self) -> anyhow::Result<()> {
        match self {
            PostgresFault::Restart(command) => {
                let command = command.clone();
                let output = tokio::task::spawn_blocking(move || {
                    std::process::Command::new("sh")
                        .arg("-c")
                        .arg(&command)
                        .output()
                })
                .await
                .context("joining the restart")?
                .context("running the Postgres restart command")?;
                anyhow::ensure!(
                    output.status.success(),
                    "Postgres restart failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                Ok(())
            }
            PostgresFault::TerminateBackends {
                admin_url,
                database,
            } => {
                let mut admin = tokio::time::timeout(
                    Duration::from_secs(10),
                    sqlx::PgConnection::connect(admin_url),
                )
                .await
                .context("connecting to Postgres timed out")??;
                let terminated: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE datname = $1 AND pid <> pg_backend_pid()) AS t",
                )
                .bind(database)
                .fetch_one(&mut admin)
                .await?;
                tracing::info!(terminated, "terminated the suite's Postgres backends");
                Ok(())
            }
        }
    }
}
