//! Waiting for projections: poll `projection_checkpoints` (one primary-key look-up per poll)
//! with a short back-off until every projection asked for has passed every position of the
//! token, the token turns out to be of another log epoch, or the request's bound runs out.
//!
//! Polling rather than LISTEN: checkpoints move in every projector batch, and a first poll that
//! already passes (the usual case: projectors lag by milliseconds) costs one statement.

use std::time::Duration;

use tokio::time::Instant;

use super::{Consistency, Projection, StaleReason};
use crate::{
    error::QueryError,
    store::{Store, checkpoints::CheckpointPosition},
};

/// First pause between polls; doubled up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(5);
/// Longest pause between polls.
const MAX_POLL: Duration = Duration::from_millis(50);

/// Where the checkpoints stand relative to a token.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    /// Every projection has passed every position.
    Passed,
    /// Some checkpoint belongs to another log epoch than the token.
    ForeignEpoch,
    /// Still behind (or not started) on some position.
    Behind,
}

impl Consistency {
    /// Waits until `projections` have passed the token, or records why the answer is stale.
    pub(super) async fn wait(
        &self,
        store: &Store,
        projections: &[Projection],
    ) -> Result<(), QueryError> {
        let pending: Vec<Projection> = {
            let outcome = self.lock();
            if outcome.stale.is_some() {
                return Ok(());
            }
            projections
                .iter()
                .copied()
                .filter(|p| !outcome.passed.contains(p))
                .collect()
        };
        if pending.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = pending.iter().map(|p| p.name()).collect();
        let partitions: Vec<i32> = self.token.positions.keys().copied().collect();
        let mut pause = FIRST_POLL;
        let stale = loop {
            let rows = store.checkpoints_at(&names, &partitions).await?;
            match self.progress(&names, &rows) {
                Progress::Passed => break None,
                Progress::ForeignEpoch => break Some(StaleReason::LogEpochMismatch),
                Progress::Behind => {}
            }
            let now = Instant::now();
            if now >= self.deadline {
                break Some(StaleReason::Timeout);
            }
            tokio::time::sleep(pause.min(self.deadline - now)).await;
            pause = (pause * 2).min(MAX_POLL);
        };
        let mut outcome = self.lock();
        match stale {
            None => outcome.passed.extend(pending),
            Some(reason) => {
                outcome.stale.get_or_insert(reason);
            }
        }
        outcome.waited = outcome.waited.max(self.started.elapsed());
        Ok(())
    }

    /// Compares checkpoint rows of `projections` with the token's positions.
    fn progress(&self, projections: &[&str], rows: &[CheckpointPosition]) -> Progress {
        if rows.iter().any(|row| row.log_epoch != self.token.log_epoch) {
            return Progress::ForeignEpoch;
        }
        let passed = projections.iter().all(|projection| {
            self.token.positions.iter().all(|(partition, offset)| {
                rows.iter().any(|row| {
                    row.projection == *projection
                        && row.partition == *partition
                        && row.next_offset > *offset
                })
            })
        });
        if passed {
            Progress::Passed
        } else {
            Progress::Behind
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use uuid::Uuid;

    use super::*;
    use crate::consistency::ConsistencyToken;

    fn row(projection: &str, partition: i32, next_offset: i64, epoch: u128) -> CheckpointPosition {
        CheckpointPosition {
            projection: projection.to_string(),
            partition,
            next_offset,
            log_epoch: Uuid::from_u128(epoch),
        }
    }

    fn consistency() -> std::sync::Arc<Consistency> {
        let token = ConsistencyToken {
            log_epoch: Uuid::from_u128(1),
            positions: BTreeMap::from([(0, 10), (2, 4)]),
        };
        Consistency::new(token, Duration::from_millis(10))
    }

    #[tokio::test]
    async fn a_projection_passes_once_every_partition_is_beyond_its_offset() {
        let c = consistency();
        let names = ["catalog", "inventory"];
        let mut rows = vec![
            row("catalog", 0, 11, 1),
            row("catalog", 2, 5, 1),
            row("inventory", 0, 11, 1),
            row("inventory", 2, 4, 1),
        ];
        // next_offset 4 means offset 4 has not been read yet.
        assert_eq!(c.progress(&names, &rows), Progress::Behind);
        rows[3].next_offset = 5;
        assert_eq!(c.progress(&names, &rows), Progress::Passed);
        // A projection without checkpoints has not started.
        assert_eq!(c.progress(&["carts"], &rows), Progress::Behind);
    }

    #[tokio::test]
    async fn checkpoints_of_another_log_epoch_can_never_pass() {
        let c = consistency();
        let rows = vec![row("catalog", 0, 900, 2), row("catalog", 2, 900, 2)];
        assert_eq!(c.progress(&["catalog"], &rows), Progress::ForeignEpoch);
    }
}
