//! Wiring the reactor and the sender into `agora-projector run`: settings checked when the
//! projector is built, both halves spawned beside the other projections.

use std::{sync::Arc, time::Duration};

use domain::values::Email;
use runtime::shutdown::Shutdown;
use sqlx::PgPool;
use tokio::{sync::Notify, task::JoinSet};
use uuid::Uuid;

use super::{NAME, mailer::Mailer, reactor::Reactor, sender::Sender, store};
use crate::{
    config::MailConfig,
    error::ProjectorError,
    runner::{self, RunContext},
};

/// The notifications' validated settings.
#[derive(Clone)]
pub struct Notifications {
    mailer: Option<Mailer>,
    staff_email: String,
    max_attempts: u32,
    max_age: Duration,
}

impl Notifications {
    /// Checks `config`: the sender and staff addresses and the SMTP URL must be usable, so a
    /// typo stops the projector at start rather than failing every mail later.
    pub fn from_config(config: &MailConfig) -> Result<Self, ProjectorError> {
        let staff_email = Email::parse(&config.staff_email)
            .map_err(|error| ProjectorError::Invalid(format!("AGORA_STAFF_EMAIL: {error}")))?;
        let mailer = config
            .smtp_url
            .as_deref()
            .map(|url| Mailer::new(url, &config.from))
            .transpose()?;
        Ok(Self {
            mailer,
            staff_email: staff_email.as_str().to_string(),
            max_attempts: config.max_attempts,
            max_age: config.max_age,
        })
    }

    /// Spawns the reactor (a projection like the others) and, when an SMTP server is set, the
    /// sender, into `tasks`; both stop on `shutdown`.
    pub fn spawn(
        &self,
        tasks: &mut JoinSet<Result<(), ProjectorError>>,
        pool: &PgPool,
        log_epoch: Uuid,
        context: &RunContext,
        shutdown: &Shutdown,
    ) {
        let wake = Arc::new(Notify::new());
        let reactor = Reactor::new(
            pool.clone(),
            log_epoch,
            self.staff_email.clone(),
            self.max_age,
            wake.clone(),
        );
        tasks.spawn(runner::run(reactor, context.clone(), shutdown.clone()));
        match &self.mailer {
            Some(mailer) => {
                let sender = Sender::new(pool.clone(), mailer.clone(), self.max_attempts, wake);
                let shutdown = shutdown.clone();
                tasks.spawn(async move {
                    sender.run(shutdown).await;
                    Ok(())
                });
            }
            None => {
                let pool = pool.clone();
                tasks.spawn(async move {
                    explain_not_sending(&pool).await;
                    Ok(())
                });
            }
        }
    }
}

/// Says once that mail is queued but not sent (info, not warn: tests and dev runs without a
/// sink are normal, and the line is there for whoever wonders where the mail went).
async fn explain_not_sending(pool: &PgPool) {
    let pending = match pool.acquire().await {
        Ok(mut conn) => store::pending_count(&mut conn).await.ok(),
        Err(_) => None,
    };
    tracing::info!(
        projection = NAME,
        pending,
        "AGORA_SMTP_URL is not set: notifications are queued in the outbox but not sent"
    );
}
