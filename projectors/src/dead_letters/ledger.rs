//! `dead_letter_redrives`: which letters were re-driven into the read models of which log
//! epoch, and the claim that makes a re-drive happen at most once.
//!
//! A letter's row is inserted with `ON CONFLICT DO NOTHING` inside the transaction that applies
//! the record. Its primary key is the letter's identity, so of two re-drives of one letter the
//! second waits on the first's uncommitted row, then inserts nothing and applies nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::LetterKey;

/// Postgres' "undefined table": the projector never migrated these stores.
const UNDEFINED_TABLE: &str = "42P01";

/// A re-drive that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redriven {
    /// When.
    pub at: DateTime<Utc>,
    /// What it did.
    pub outcome: String,
}

/// The log epoch the stores' derived state belongs to, `None` before the first migrate.
pub async fn recorded_epoch(pool: &PgPool) -> Result<Option<Uuid>, sqlx::Error> {
    let value: Option<String> =
        match sqlx::query_scalar("SELECT value FROM agora_meta WHERE key = 'log_epoch'")
            .fetch_optional(pool)
            .await
        {
            Ok(value) => value,
            Err(error) if is_undefined_table(&error) => None,
            Err(error) => return Err(error),
        };
    Ok(value.and_then(|value| Uuid::parse_str(&value).ok()))
}

/// Every letter re-driven in `log_epoch`.
pub async fn load(
    pool: &PgPool,
    log_epoch: Uuid,
) -> Result<HashMap<LetterKey, Redriven>, sqlx::Error> {
    let rows: Vec<(String, i32, i64, Uuid, DateTime<Utc>, String)> = match sqlx::query_as(
        r#"SELECT projection, partition, "offset", event_id, redriven_at, outcome
           FROM dead_letter_redrives WHERE log_epoch = $1"#,
    )
    .bind(log_epoch)
    .fetch_all(pool)
    .await
    {
        Ok(rows) => rows,
        // Listing must work against stores the redrive migration has not reached yet.
        Err(error) if is_undefined_table(&error) => Vec::new(),
        Err(error) => return Err(error),
    };
    Ok(rows
        .into_iter()
        .map(|(projection, partition, offset, event_id, at, outcome)| {
            let key = LetterKey {
                projection,
                partition,
                offset,
                event_id: (!event_id.is_nil()).then_some(event_id),
            };
            (key, Redriven { at, outcome })
        })
        .collect())
}

/// Records `key` as re-driven in `log_epoch` with `outcome`, inside the caller's transaction.
/// False when it already was (nothing written): the caller must then apply nothing.
pub async fn claim(
    conn: &mut PgConnection,
    log_epoch: Uuid,
    key: &LetterKey,
    outcome: &str,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        r#"INSERT INTO dead_letter_redrives
               (log_epoch, projection, partition, "offset", event_id, outcome)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING"#,
    )
    .bind(log_epoch)
    .bind(&key.projection)
    .bind(key.partition)
    .bind(key.offset)
    // The key column cannot be NULL; nil stands for "the whole record".
    .bind(key.event_id.unwrap_or_default())
    .bind(outcome)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

fn is_undefined_table(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some(UNDEFINED_TABLE))
}
