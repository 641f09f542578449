//! Restarting from stored checkpoints: fold everything already reacted to before reacting again.
//!
//! The saga's rules are written so that of two related events on different partitions (an
//! order's `OrderCancelled` and its payment's `PaymentCaptured`), whichever the saga handles
//! *second* sees the first in its view and does the compensation. Live, that holds because the
//! view contains every record read before the one in hand. After a restart it would not hold if
//! the reader's new interleaving of partitions let a record past its partition's checkpoint be
//! reacted to before another partition had been folded up to its checkpoint: the capture would
//! be reacted to without the cancellation in view (so `MarkOrderPaid`, refused), while the
//! cancellation, reacted to before the crash without the capture in view, is never reacted to
//! again. The money would stay taken. (Found by the fault suite: a saga killed mid-checkout.)
//!
//! So records past a checkpoint are held back until every partition has been folded up to its
//! checkpoint; then they are handled in the order they were read.

use std::{collections::HashMap, time::Duration};

use runtime::{
    log::{LogItem, Position},
    shutdown::Shutdown,
};

use super::{MAX_BATCH, Saga, SagaError, read_events};

/// Splits a restarted saga's first reads into "fold only" and "hold until the fold is done".
#[derive(Debug)]
pub(super) struct Resume {
    /// Per partition, the first offset not reacted to before the restart.
    react_from: HashMap<i32, i64>,
    /// Records at or past their partition's checkpoint, in reading order.
    held: Vec<LogItem>,
}

/// What to do with a record read while resuming.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Before its partition's checkpoint: fold it into the view, do not react.
    Fold,
    /// Past its checkpoint: kept until [`Resume::finish`].
    Held,
}

impl Resume {
    /// Starts resuming at `react_from` (every partition the reader reads must be present).
    pub(super) fn new(react_from: HashMap<i32, i64>) -> Self {
        Self {
            react_from,
            held: Vec::new(),
        }
    }

    /// Sorts one record read.
    pub(super) fn step(&mut self, item: &LogItem) -> Step {
        let from = self.react_from.get(&item.partition).copied().unwrap_or(0);
        if item.offset < from {
            Step::Fold
        } else {
            self.held.push(item.clone());
            Step::Held
        }
    }

    /// Whether every partition has been read up to its checkpoint, given each partition's next
    /// offset to read.
    pub(super) fn folded(&self, next_offset: impl Fn(i32) -> Option<i64>) -> bool {
        self.react_from
            .iter()
            .all(|(partition, from)| next_offset(*partition).is_some_and(|next| next >= *from))
    }

    /// The held records, to be handled (folded and reacted to) in reading order.
    pub(super) fn finish(self) -> Vec<LogItem> {
        self.held
    }
}

impl Saga {
    /// After a restart: folds every partition up to its checkpoint without reacting, then
    /// handles the records read past the checkpoints meanwhile; returns their positions to
    /// store, or `None` when shut down first.
    pub(super) async fn resume(
        &mut self,
        shutdown: &Shutdown,
    ) -> Result<Option<Vec<(i32, Position)>>, SagaError> {
        let mut resume = Resume::new(self.react_from.clone());
        let mut folded = 0usize;
        while !resume.folded(|p| self.reader.position(p).map(|pos| pos.next_offset)) {
            let batch = tokio::select! {
                () = shutdown.wait() => return Ok(None),
                batch = self.reader.poll_batch(MAX_BATCH, Duration::from_millis(20), Duration::from_millis(500)) => batch?,
            };
            for item in &batch {
                if resume.step(item) == Step::Fold {
                    folded += 1;
                    for (_, event) in read_events(item) {
                        self.view.apply(&event);
                    }
                }
            }
        }
        let held = resume.finish();
        tracing::info!(
            records = folded,
            held = held.len(),
            "checkout saga folded the log up to its checkpoints"
        );
        if held.is_empty() {
            return Ok(Some(Vec::new()));
        }
        // One call: `handle` moves the reaction start past what it handled, so splitting the
        // held records would leave the later ones folded but never reacted to.
        self.handle(&held).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use runtime::log::ItemKind;

    use super::*;

    fn item(partition: i32, offset: i64) -> LogItem {
        LogItem {
            partition,
            offset,
            traceparent: None,
            kind: ItemKind::Marker {
                owner: "test".into(),
            },
        }
    }

    #[test]
    fn records_past_a_checkpoint_wait_until_every_partition_is_folded_to_its_own() {
        let mut resume = Resume::new(HashMap::from([(0, 2), (1, 3)]));
        // Partition 0 runs ahead of partition 1: its records past offset 2 must wait.
        assert_eq!(resume.step(&item(0, 0)), Step::Fold);
        assert_eq!(resume.step(&item(0, 1)), Step::Fold);
        assert_eq!(resume.step(&item(0, 2)), Step::Held);
        assert_eq!(resume.step(&item(0, 3)), Step::Held);
        let mut next = HashMap::from([(0, 4), (1, 1)]);
        assert!(!resume.folded(|p| next.get(&p).copied()));
        assert_eq!(resume.step(&item(1, 1)), Step::Fold);
        assert_eq!(resume.step(&item(1, 2)), Step::Fold);
        next.insert(1, 3);
        assert!(resume.folded(|p| next.get(&p).copied()));
        let held: Vec<(i32, i64)> = resume
            .finish()
            .iter()
            .map(|i| (i.partition, i.offset))
            .collect();
        assert_eq!(held, vec![(0, 2), (0, 3)]);
    }

    #[test]
    fn a_partition_never_read_is_not_folded_unless_its_checkpoint_is_its_start() {
        let resume = Resume::new(HashMap::from([(0, 0), (1, 5)]));
        assert!(!resume.folded(|p| (p == 0).then_some(0)));
        let empty = Resume::new(HashMap::from([(0, 0)]));
        assert!(empty.folded(|_| Some(0)));
    }
}
