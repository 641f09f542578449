//! `agora-projector dlq list`: every dead letter once, with its copies counted and whether it
//! was re-driven.
//!
//! The DLQ is at-least-once (a crash between the letter and the checkpoint sends it again), so
//! letters are grouped by [`LetterKey`]; the first copy in topic order stands for the group.

use std::collections::{BTreeMap, HashMap};

use chrono::SecondsFormat;
use sqlx::PgPool;

use super::{
    DeadLetterError, LetterKey,
    ledger::{self, Redriven},
    topic::{self, Letters},
};
use crate::{config::Config, dlq::DeadLetter};

/// One letter and its copies.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What identifies it.
    pub key: LetterKey,
    /// Its first copy in the topic.
    pub letter: DeadLetter,
    /// How many copies the topic holds.
    pub copies: usize,
    /// The re-drive, if one happened in the stores' log epoch.
    pub redriven: Option<Redriven>,
}

/// The grouped contents of the dead-letter topic.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Letters, by projection, then origin, then event.
    pub entries: Vec<Entry>,
    /// Records of the topic that are no dead letter, by position.
    pub unreadable: Vec<(i32, i64)>,
}

impl Listing {
    /// Letters re-driven.
    pub fn redriven(&self) -> usize {
        self.entries.iter().filter(|e| e.redriven.is_some()).count()
    }
}

/// The identity of `letter`.
pub fn key_of(letter: &DeadLetter) -> LetterKey {
    LetterKey {
        projection: letter.projection.clone(),
        partition: letter.origin_partition,
        offset: letter.origin_offset,
        event_id: letter.event_id,
    }
}

/// Reads the topic and the re-drive ledger, keeping the letters of `projection` (all if none).
pub async fn collect(
    config: &Config,
    pool: &PgPool,
    projection: Option<&str>,
) -> Result<Listing, DeadLetterError> {
    let read = topic::read_all(&config.kafka).await?;
    let redriven = match ledger::recorded_epoch(pool).await? {
        Some(log_epoch) => ledger::load(pool, log_epoch).await?,
        None => HashMap::new(),
    };
    Ok(group(read, &redriven, projection))
}

/// Groups copies of each letter and marks re-driven ones.
pub fn group(
    read: Letters,
    redriven: &HashMap<LetterKey, Redriven>,
    projection: Option<&str>,
) -> Listing {
    let mut groups: BTreeMap<LetterKey, Entry> = BTreeMap::new();
    for letter in read.letters {
        if projection.is_some_and(|wanted| wanted != letter.projection) {
            continue;
        }
        let key = key_of(&letter);
        groups
            .entry(key.clone())
            .and_modify(|entry| entry.copies += 1)
            .or_insert_with(|| Entry {
                redriven: redriven.get(&key).cloned(),
                key,
                letter,
                copies: 1,
            });
    }
    Listing {
        entries: groups.into_values().collect(),
        unreadable: read.unreadable,
    }
}

/// Prints `listing`: one line per letter and a total, or one JSON document.
pub fn print(listing: &Listing, json: bool) {
    if json {
        println!("{}", to_json(listing));
        return;
    }
    for entry in &listing.entries {
        println!("{}", line(entry));
    }
    let total = listing.entries.len();
    let redriven = listing.redriven();
    println!(
        "total: {total} dead letter{} ({redriven} re-driven, {} pending)",
        if total == 1 { "" } else { "s" },
        total - redriven
    );
    if !listing.unreadable.is_empty() {
        eprintln!(
            "{} record(s) of the dead-letter topic are no dead letter: {:?}",
            listing.unreadable.len(),
            listing.unreadable
        );
    }
}

/// The text line of one letter.
pub fn line(entry: &Entry) -> String {
    let event = entry
        .key
        .event_id
        .map_or_else(|| "-".to_string(), |id| id.to_string());
    let status = match &entry.redriven {
        Some(done) => format!(
            "re-driven={} ({})",
            done.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            done.outcome
        ),
        None => "re-driven=no".to_string(),
    };
    format!(
        "{:<16} {:<12} event={:<36} at={} copies={} {} error={}",
        entry.key.projection,
        format!("{}:{}", entry.key.partition, entry.key.offset),
        event,
        entry.letter.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        entry.copies,
        status,
        one_line(&entry.letter.error),
    )
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The listing as one JSON document (`letters`, `total`, `redriven`, `pending`, `unreadable`).
pub fn to_json(listing: &Listing) -> serde_json::Value {
    let letters: Vec<serde_json::Value> = listing
        .entries
        .iter()
        .map(|entry| {
            serde_json::json!({
                "projection": entry.key.projection,
                "partition": entry.key.partition,
                "offset": entry.key.offset,
                "event_id": entry.key.event_id,
                "origin_topic": entry.letter.origin_topic,
                "time": entry.letter.time,
                "error": entry.letter.error,
                "copies": entry.copies,
                "redriven": entry.redriven.is_some(),
                "redriven_at": entry.redriven.as_ref().map(|r| r.at),
                "outcome": entry.redriven.as_ref().map(|r| r.outcome.clone()),
            })
        })
        .collect();
    let total = listing.entries.len();
    let redriven = listing.redriven();
    serde_json::json!({
        "letters": letters,
        "total": total,
        "redriven": redriven,
        "pending": total - redriven,
        "unreadable": listing.unreadable,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn letter(projection: &str, offset: i64, event_id: Option<Uuid>) -> DeadLetter {
        DeadLetter {
            error: "commit does not apply:\n duplicate key".into(),
            origin_topic: "agora.events".into(),
            origin_partition: 1,
            origin_offset: offset,
            projection: projection.into(),
            event_id,
            time: Utc::now(),
            payload: serde_json::Value::Null,
        }
    }

    #[test]
    fn copies_of_a_letter_are_shown_once_and_counted() {
        let event = Uuid::now_v7();
        let read = Letters {
            letters: vec![
                letter("catalog", 7, None),
                letter("inventory", 9, Some(event)),
                letter("catalog", 7, None),
                letter("catalog", 7, Some(event)),
            ],
            unreadable: vec![(0, 3)],
        };
        let listing = group(read, &HashMap::new(), None);
        let seen: Vec<(&str, i64, Option<Uuid>, usize)> = listing
            .entries
            .iter()
            .map(|e| {
                (
                    e.key.projection.as_str(),
                    e.key.offset,
                    e.key.event_id,
                    e.copies,
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("catalog", 7, None, 2),
                ("catalog", 7, Some(event), 1),
                ("inventory", 9, Some(event), 1),
            ]
        );
        assert_eq!(listing.unreadable, vec![(0, 3)]);
    }

    #[test]
    fn a_projection_filter_and_the_ledger_shape_the_listing() {
        let read = Letters {
            letters: vec![letter("catalog", 7, None), letter("orders", 8, None)],
            unreadable: vec![],
        };
        let done = Redriven {
            at: Utc::now(),
            outcome: "applied 1 event".into(),
        };
        let ledger = HashMap::from([(key_of(&letter("catalog", 7, None)), done)]);
        let listing = group(read, &ledger, Some("catalog"));
        assert_eq!(listing.entries.len(), 1);
        assert_eq!(listing.redriven(), 1);
        let text = line(&listing.entries[0]);
        assert!(text.starts_with("catalog "), "{text}");
        assert!(text.contains(" 1:7 "), "{text}");
        assert!(text.contains("(applied 1 event)"), "{text}");
        assert!(
            text.ends_with("error=commit does not apply: duplicate key"),
            "{text}"
        );
        let json = to_json(&listing);
        assert_eq!(json["letters"][0]["redriven"], true);
        assert_eq!(json["pending"], 0);
    }
}
