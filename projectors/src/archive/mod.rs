//! The event archive: a second copy of the events log in Postgres, and the restore that turns
//! it back into a log.
//!
//! - [`archiver`]: a projection that copies every record of the events topic (commits,
//!   rejections, markers, zombie writes, poison) with its partition, offset, key, headers and raw
//!   value bytes into `event_archive`, exactly once (checkpoint `archive` in the same
//!   transaction).
//! - [`restore`]: `agora-projector restore` republishes the archive into an empty events topic,
//!   per partition in offset order, so every record lands at its original offset (markers'
//!   epochs are offsets, so nothing else would keep the log rules' verdicts), then writes a new
//!   log epoch so derived state is rebuilt.
//!
//! `event_archive` is not derived state: `migrate`'s epoch reset leaves it alone (it is not in
//! [`crate::migrate::DERIVED_TABLES`]), since a broker reset is precisely when it is needed.

use rdkafka::{
    Message,
    message::{BorrowedMessage, Headers},
};
use runtime::log::{Counted, PartitionRules, Verdict};
use schemas::{LogRecord, log_record};

pub mod archiver;
pub mod restore;

/// Checkpoint name of the archiver.
pub const NAME: &str = "archive";

/// A header as archived: name and value (UTF-8; the log's headers are all text).
pub type ArchivedHeader = (String, Option<String>);

/// One record of the events topic, as archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedRecord {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Record key.
    pub key: Option<String>,
    /// What the log rules made of it: commit, rejection, marker, zombie or poison.
    pub kind: String,
    /// The stream it belongs to, when it belongs to one.
    pub stream: Option<String>,
    /// Its headers, in order.
    pub headers: Vec<ArchivedHeader>,
    /// The raw value.
    pub value: Option<Vec<u8>>,
}

/// Labels a record's value with the rules' verdict and finds its stream.
pub fn label(rules: &mut PartitionRules, offset: i64, value: &[u8]) -> (String, Option<String>) {
    let Ok(record) = serde_json::from_slice::<LogRecord>(value) else {
        return ("poison".into(), None);
    };
    let stream = match &record {
        LogRecord::Commit(commit) => Some(commit.stream.clone()),
        LogRecord::Rejection(rejection) => Some(rejection.stream.clone()),
        LogRecord::Marker(_) => None,
    };
    let kind = match rules.judge(offset, record) {
        Verdict::Marker { .. } => "marker",
        Verdict::Zombie { .. } => "zombie",
        Verdict::Counted(Counted::Commit(_)) => "commit",
        Verdict::Counted(Counted::Rejection(_)) => "rejection",
    };
    (kind.into(), stream)
}

impl ArchivedRecord {
    /// Reads `message`, labelled by `rules` (which it advances).
    pub fn read(rules: &mut PartitionRules, message: &BorrowedMessage<'_>) -> Self {
        let value = message.payload().map(<[u8]>::to_vec);
        let (kind, judged_stream) = label(rules, message.offset(), value.as_deref().unwrap_or(&[]));
        let headers: Vec<ArchivedHeader> = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| {
                        let value = h.value.map(|v| String::from_utf8_lossy(v).into_owned());
                        (h.key.to_string(), value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let header_stream = headers
            .iter()
            .find(|(name, _)| name == log_record::HEADER_STREAM)
            .and_then(|(_, value)| value.clone());
        let stream = judged_stream.or(header_stream).filter(|s| !s.is_empty());
        ArchivedRecord {
            partition: message.partition(),
            offset: message.offset(),
            key: message
                .key()
                .map(|key| String::from_utf8_lossy(key).into_owned()),
            kind,
            stream,
            headers,
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use schemas::{Commit, OwnershipMarker};
    use uuid::Uuid;

    use super::*;

    fn marker() -> Vec<u8> {
        serde_json::to_vec(&LogRecord::Marker(OwnershipMarker {
            owner: "p1".into(),
            written_at: Utc::now(),
        }))
        .unwrap()
    }

    fn commit(epoch: i64) -> Vec<u8> {
        serde_json::to_vec(&LogRecord::Commit(Commit {
            stream: "inventory-A".into(),
            from_version: 1,
            epoch,
            command_id: Uuid::nil(),
            request_hash: None,
            accepted_at: Utc::now(),
            events: vec![],
        }))
        .unwrap()
    }

    #[test]
    fn every_record_is_labelled_with_the_verdict_of_the_log_rules() {
        let mut rules = PartitionRules::new();
        let labels: Vec<(String, Option<String>)> = [
            (0, marker()),
            (1, commit(0)),
            (2, marker()),
            (3, commit(0)),
            (4, b"not json".to_vec()),
        ]
        .iter()
        .map(|(offset, value)| label(&mut rules, *offset, value))
        .collect();
        let kinds: Vec<&str> = labels.iter().map(|(kind, _)| kind.as_str()).collect();
        assert_eq!(kinds, ["marker", "commit", "marker", "zombie", "poison"]);
        assert_eq!(labels[3].1.as_deref(), Some("inventory-A"));
        assert_eq!(rules.current_epoch(), Some(2));
    }
}
