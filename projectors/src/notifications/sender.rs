//! The sender: drains the outbox over SMTP, one mail per transaction.
//!
//! Each mail is taken with `FOR UPDATE SKIP LOCKED` (so projector replicas never send the same
//! row at once), sent, and settled (sent, deferred with backoff, or failed) in the transaction
//! that holds its lock. One mail per transaction keeps the unavoidable duplicate window (the
//! server accepted the mail, then the process died before the commit) one mail wide; the SMTP
//! conversation costs far more than the few statements around it.
//!
//! The loop wakes when the reactor queued mail, and otherwise polls every [`POLL`] for
//! deferred mail coming due and for mail other replicas queued. On shutdown it finishes the
//! mail in hand (bounded by the SMTP timeout) and stops.

use std::{sync::Arc, time::Duration};

use runtime::shutdown::Shutdown;
use sqlx::PgPool;
use tokio::sync::Notify;

use super::{NAME, mailer::Mailer, store};

/// Longest wait for new mail without a wake-up.
pub const POLL: Duration = Duration::from_secs(1);
/// Delay after the first failed attempt; it doubles per attempt up to [`MAX_RETRY`].
pub const FIRST_RETRY: Duration = Duration::from_secs(5);
/// Longest delay between two attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(15 * 60);
/// Pause after a Postgres failure, doubling up to ten seconds.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How long to wait before the next attempt, after `attempts` failed ones.
pub fn retry_delay(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}

/// What became of one mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Nothing was due.
    Idle,
    /// One mail was settled (sent, deferred or failed).
    Settled,
}

/// The outbox drain.
pub struct Sender {
    pool: PgPool,
    mailer: Mailer,
    max_attempts: u32,
    wake: Arc<Notify>,
}

impl Sender {
    /// A sender of the outbox in `pool` through `mailer`, giving up on a mail after
    /// `max_attempts` transient failures.
    pub fn new(pool: PgPool, mailer: Mailer, max_attempts: u32, wake: Arc<Notify>) -> Self {
        Self {
            pool,
            mailer,
            max_attempts,
            wake,
        }
    }

    /// Sends until shutdown. Postgres failures are logged and retried; it never gives up.
    pub async fn run(self, shutdown: Shutdown) {
        tracing::info!(projection = NAME, "notification sender started");
        let mut backoff = FIRST_BACKOFF;
        while !shutdown.is_triggered() {
            match self.send_one().await {
                Ok(Step::Settled) => backoff = FIRST_BACKOFF,
                Ok(Step::Idle) => {
                    tokio::select! {
                        _ = shutdown.wait() => {}
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(POLL) => {}
                    }
                }
                Err(error) => {
                    tracing::error!(projection = NAME, error = %error, retry_in = ?backoff, "notification sender failed; retrying");
                    tokio::select! {
                        _ = shutdown.wait() => {}
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        tracing::info!(projection = NAME, "notification sender stopped");
    }

    /// Takes one due mail, sends it and settles it, in one transaction.
    async fn send_one(&self) -> Result<Step, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let Some(mail) = store::take_due(&mut tx, 1).await?.into_iter().next() else {
            tx.rollback().await?;
            return Ok(Step::Idle);
        };
        let attempt = u32::try_from(mail.attempts).unwrap_or(0) + 1;
        // Ids and kinds only: addresses are personal data and stay out of the logs.
        let outcome = match self.mailer.send(&mail).await {
            Ok(()) => {
                store::mark_sent(&mut tx, &mail).await?;
                tracing::debug!(notification.id = %mail.notification_id, kind = %mail.kind, "notification sent");
                "sent"
            }
            Err(error) if error.is_transient() && attempt < self.max_attempts => {
                let delay = retry_delay(attempt);
                store::mark_deferred(&mut tx, mail.notification_id, &error.to_string(), delay)
                    .await?;
                tracing::warn!(notification.id = %mail.notification_id, kind = %mail.kind, attempt, retry_in = ?delay, error = %error, "notification not sent; will retry");
                "deferred"
            }
            Err(error) => {
                store::mark_failed(&mut tx, mail.notification_id, &error.to_string()).await?;
                tracing::error!(notification.id = %mail.notification_id, kind = %mail.kind, attempt, error = %error, "notification failed for good");
                "failed"
            }
        };
        tx.commit().await?;
        // Counted once settled, so a rolled-back attempt is not reported as sent.
        metrics::counter!(
            "agora_notifications_sent_total",
            "kind" => mail.kind.to_string(),
            "outcome" => outcome
        )
        .increment(1);
        Ok(Step::Settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_by_doubling_up_to_a_cap() {
        assert_eq!(retry_delay(1), Duration::from_secs(5));
        assert_eq!(retry_delay(2), Duration::from_secs(10));
        assert_eq!(retry_delay(4), Duration::from_secs(40));
        assert_eq!(retry_delay(9), MAX_RETRY);
        assert_eq!(retry_delay(u32::MAX), MAX_RETRY);
    }
}
