//! The log rules, applied identically by every reader of `agora.events`.
//!
//! A partition's *current epoch* is the offset of the latest ownership marker read in it. A
//! commit or rejection counts only when it carries the current epoch; one with an older epoch was
//! written by a processor that had already been replaced (a zombie) and is skipped. Because a
//! marker's epoch is its own offset, two processors can never hold the same epoch (ADR 0001).

use schemas::{Commit, LogRecord, Rejection};

/// A record that counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Counted {
    /// An accepted command's events.
    Commit(Commit),
    /// A refused command.
    Rejection(Rejection),
}

impl Counted {
    /// The command this record answers.
    pub fn command_id(&self) -> uuid::Uuid {
        match self {
            Counted::Commit(commit) => commit.command_id,
            Counted::Rejection(rejection) => rejection.command_id,
        }
    }

    /// The stream this record belongs to.
    pub fn stream(&self) -> &str {
        match self {
            Counted::Commit(commit) => &commit.stream,
            Counted::Rejection(rejection) => &rejection.stream,
        }
    }
}

/// What the rules say about one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The record counts.
    Counted(Counted),
    /// An ownership marker: the epoch is now its offset.
    Marker {
        /// Who wrote it.
        owner: String,
    },
    /// Written under an epoch that had already been superseded; every reader skips it.
    Zombie {
        /// The epoch the record carries.
        record_epoch: i64,
        /// The partition's epoch when it was read.
        current_epoch: Option<i64>,
    },
}

/// The rule state of one partition: its current epoch and how many zombie writes it skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionRules {
    current_epoch: Option<i64>,
    zombies_skipped: u64,
}

impl PartitionRules {
    /// Rules for a reader starting at the log's beginning.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rules for a reader resuming from a checkpoint taken under `epoch`.
    pub fn resume(epoch: Option<i64>) -> Self {
        Self {
            current_epoch: epoch,
            zombies_skipped: 0,
        }
    }

    /// The partition's current epoch (offset of the latest marker read), if any.
    pub fn current_epoch(&self) -> Option<i64> {
        self.current_epoch
    }

    /// How many zombie records were skipped so far.
    pub fn zombies_skipped(&self) -> u64 {
        self.zombies_skipped
    }

    /// Judges a commit or rejection by its epoch alone (a reader that does not decode the
    /// bodies of aggregates it does not follow): `None` when it counts, else the zombie verdict.
    pub fn judge_epoch(&mut self, epoch: i64) -> Option<Verdict> {
        if Some(epoch) == self.current_epoch {
            return None;
        }
        self.zombies_skipped += 1;
        Some(Verdict::Zombie {
            record_epoch: epoch,
            current_epoch: self.current_epoch,
        })
    }

    /// Judges the record read at `offset`. Records must be fed in offset order.
    pub fn judge(&mut self, offset: i64, record: LogRecord) -> Verdict {
        let epoch = match &record {
            LogRecord::Marker(marker) => {
                self.current_epoch = Some(offset);
                return Verdict::Marker {
                    owner: marker.owner.clone(),
                };
            }
            LogRecord::Commit(commit) => commit.epoch,
            LogRecord::Rejection(rejection) => rejection.epoch,
        };
        if let Some(zombie) = self.judge_epoch(epoch) {
            return zombie;
        }
        match record {
            LogRecord::Commit(commit) => Verdict::Counted(Counted::Commit(commit)),
            LogRecord::Rejection(rejection) => Verdict::Counted(Counted::Rejection(rejection)),
            // Handled above; kept total so a new record kind cannot slip through unjudged.
            LogRecord::Marker(marker) => Verdict::Marker {
                owner: marker.owner,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use schemas::OwnershipMarker;
    use uuid::Uuid;

    use super::*;

    fn marker() -> LogRecord {
        LogRecord::Marker(OwnershipMarker {
            owner: "p1".into(),
            written_at: Utc::now(),
        })
    }

    fn commit(epoch: i64) -> LogRecord {
        LogRecord::Commit(Commit {
            stream: "inventory-A".into(),
            from_version: 1,
            epoch,
            command_id: Uuid::nil(),
            request_hash: None,
            accepted_at: Utc::now(),
            events: vec![],
        })
    }

    #[test]
    fn a_commit_under_the_current_marker_counts() {
        let mut rules = PartitionRules::new();
        assert!(matches!(rules.judge(0, marker()), Verdict::Marker { .. }));
        assert!(matches!(rules.judge(1, commit(0)), Verdict::Counted(_)));
    }

    #[test]
    fn a_commit_written_after_a_newer_marker_is_a_zombie() {
        let mut rules = PartitionRules::new();
        rules.judge(0, marker());
        rules.judge(1, commit(0));
        rules.judge(2, marker());
        let verdict = rules.judge(3, commit(0));
        assert_eq!(
            verdict,
            Verdict::Zombie {
                record_epoch: 0,
                current_epoch: Some(2)
            }
        );
        assert_eq!(rules.zombies_skipped(), 1);
        assert!(matches!(rules.judge(4, commit(2)), Verdict::Counted(_)));
    }

    #[test]
    fn a_commit_before_any_marker_does_not_count() {
        let mut rules = PartitionRules::new();
        assert!(matches!(rules.judge(0, commit(0)), Verdict::Zombie { .. }));
    }

    #[test]
    fn a_resumed_reader_keeps_the_checkpointed_epoch() {
        let mut rules = PartitionRules::resume(Some(7));
        assert!(matches!(rules.judge(9, commit(7)), Verdict::Counted(_)));
        assert!(matches!(rules.judge(10, commit(3)), Verdict::Zombie { .. }));
    }
}
