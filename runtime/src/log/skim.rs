//! Reading a commit without decoding it, for readers that follow only some aggregates
//! ([`super::LogReader::only_aggregates`]): the aggregate from the record's headers, the epoch
//! from a borrowed two-field skim of its JSON.

use rdkafka::{
    Message,
    message::{BorrowedMessage, Headers},
};

/// The aggregate of a commit whose headers name an aggregate outside `aggregates`.
pub(super) fn not_followed(
    aggregates: Option<&[String]>,
    message: &BorrowedMessage<'_>,
) -> Option<String> {
    let aggregates = aggregates?;
    if header_bytes(message, schemas::log_record::HEADER_RECORD)? != b"commit" {
        return None;
    }
    let aggregate = header_bytes(message, schemas::log_record::HEADER_AGGREGATE)?;
    if aggregates.iter().any(|kind| kind.as_bytes() == aggregate) {
        return None;
    }
    std::str::from_utf8(aggregate).ok().map(str::to_string)
}

/// The epoch of a commit, read without decoding its events (serde skips the other fields);
/// `None` when the payload is not a commit.
pub(super) fn commit_epoch(payload: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct EpochOnly<'a> {
        #[serde(borrow)]
        kind: &'a str,
        epoch: i64,
    }
    let skim: EpochOnly<'_> = serde_json::from_slice(payload).ok()?;
    (skim.kind == "commit").then_some(skim.epoch)
}

/// A header's raw value, if present.
pub(super) fn header_bytes<'a>(message: &'a BorrowedMessage<'_>, name: &str) -> Option<&'a [u8]> {
    message
        .headers()?
        .iter()
        .find(|header| header.key == name)
        .and_then(|header| header.value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use chrono::Utc;
    use schemas::{Commit, OwnershipMarker, Rejection};
    use uuid::Uuid;

    use schemas::LogRecord;

    use super::*;

    #[test]
    fn a_commit_is_skimmed_to_its_epoch_and_nothing_else_is_taken_for_one() {
        let commit = LogRecord::Commit(Commit {
            stream: "order-1".into(),
            from_version: 1,
            epoch: 42,
            command_id: Uuid::nil(),
            request_hash: None,
            accepted_at: Utc::now(),
            events: vec![],
        });
        let payload = serde_json::to_vec(&commit).unwrap();
        assert_eq!(commit_epoch(&payload), Some(42));

        let rejection = LogRecord::Rejection(Rejection {
            stream: "order-1".into(),
            epoch: 42,
            command_id: Uuid::nil(),
            request_hash: None,
            rejected_at: Utc::now(),
            error: schemas::log_record::RejectionReason {
                code: "insufficient_stock".into(),
                kind: domain::ErrorKind::Conflict,
                message: "no".into(),
            },
        });
        assert_eq!(commit_epoch(&serde_json::to_vec(&rejection).unwrap()), None);
        let marker = LogRecord::Marker(OwnershipMarker {
            owner: "p".into(),
            written_at: Utc::now(),
        });
        assert_eq!(commit_epoch(&serde_json::to_vec(&marker).unwrap()), None);
        assert_eq!(commit_epoch(b"{\"kind\":\"commit\"}"), None);
        assert_eq!(commit_epoch(b"not json"), None);
    }
}
