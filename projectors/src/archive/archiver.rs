//! The archiver projection: every record of the events topic into `event_archive`.
//!
//! It reads the raw records rather than [`runtime::log::LogReader`]'s judged items, because the
//! archive must hold the log byte for byte (a marker's timestamp, a zombie's whole commit), but
//! it applies the same [`PartitionRules`] to label each record and to keep the partition epoch
//! its checkpoint stores. A batch is one transaction: the conditional checkpoint update, then
//! one `UNNEST` insert of all its records.
//!
//! After a new log epoch the checkpoint starts again at 0 while the archive keeps its rows. A
//! restored log holds exactly the archived records, so re-archiving it inserts nothing; a
//! record that differs from the archived one at the same position means the broker holds
//! another log than the archive, and the archiver stops loudly rather than mix the two.

use std::{collections::HashMap, time::Duration};

use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{Consumer, StreamConsumer},
    message::BorrowedMessage,
};
use runtime::{
    log::{LogReadError, PartitionRules, PartitionStart},
    shutdown::Shutdown,
};
use sqlx::PgPool;
use uuid::Uuid;

use super::{ArchivedRecord, NAME};
use crate::{
    checkpoint,
    error::ProjectorError,
    membership::Assignment,
    runner::{Advance, RunContext},
};

/// The archiver of one log epoch.
pub struct Archiver {
    pool: PgPool,
    log_epoch: Uuid,
}

const MAX_BACKOFF: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

impl Archiver {
    /// The archiver writing into `pool` for the log `log_epoch`.
    pub fn new(pool: PgPool, log_epoch: Uuid) -> Self {
        Self { pool, log_epoch }
    }

    /// Archives until shutdown, retrying from the checkpoint after transient failures.
    pub async fn run(self, context: RunContext, shutdown: Shutdown) -> Result<(), ProjectorError> {
        let mut backoff = FIRST_BACKOFF;
        let mut assignment = context.assignment.clone();
        while !shutdown.is_triggered() {
            match self
                .run_from_checkpoint(&context, &mut assignment, &shutdown)
                .await
            {
                Ok(()) => backoff = FIRST_BACKOFF,
                Err(error) if error.is_transient() => {
                    tracing::error!(projection = NAME, error = %error, retry_in = ?backoff, "archiver failed; retrying from its checkpoint");
                    tokio::select! {
                        _ = shutdown.wait() => {}
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(error) => return Err(error),
            }
        }
        tracing::info!(projection = NAME, "projection stopped");
        Ok(())
    }

    /// Reads the assigned partitions from their checkpoints until shutdown; returns `Ok` early
    /// when the checkpoint moved under it (another projector) or the owned partitions changed,
    /// so the caller starts over from the stored positions.
    async fn run_from_checkpoint(
        &self,
        context: &RunContext,
        assignment: &mut Assignment,
        shutdown: &Shutdown,
    ) -> Result<(), ProjectorError> {
        let owned = assignment.current(context.partitions);
        if owned.is_empty() {
            tokio::select! {
                _ = shutdown.wait() => {}
                _ = assignment.changed() => {}
            }
            return Ok(());
        }
        checkpoint::ensure(&self.pool, NAME, context.partitions, self.log_epoch).await?;
        let mut starts =
            checkpoint::load(&self.pool, NAME, context.partitions, self.log_epoch).await?;
        starts.retain(|start| owned.contains(&start.partition));
        let consumer = open(context, &starts)?;
        let mut rules: HashMap<i32, PartitionRules> = starts
            .iter()
            .map(|s| (s.partition, PartitionRules::resume(s.epoch)))
            .collect();
        let mut positions: HashMap<i32, i64> = starts
            .iter()
            .map(|s| (s.partition, s.next_offset))
            .collect();
        loop {
            let first = tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                _ = assignment.changed() => return Ok(()),
                first = tokio::time::timeout(context.batch.idle, consumer.recv()) => first,
            };
            let Ok(first) = first else { continue };
            let mut batch = Pending::default();
            batch.take(&mut rules, &mut positions, &first?)?;
            let deadline = tokio::time::Instant::now() + context.batch.linger;
            while batch.records.len() < context.batch.max_records {
                match tokio::time::timeout_at(deadline, consumer.recv()).await {
                    Ok(message) => batch.take(&mut rules, &mut positions, &message?)?,
                    Err(_linger_over) => break,
                }
            }
            let Pending {
                records,
                mut advances,
            } = batch;
            if records.is_empty() {
                continue;
            }
            advances.sort_by_key(|a| a.partition);
            if !self.commit(&records, &advances).await? {
                tracing::warn!(
                    projection = NAME,
                    "checkpoint moved by another projector; re-reading it"
                );
                return Ok(());
            }
            tracing::debug!(projection = NAME, records = records.len(), "batch archived");
            if shutdown.is_triggered() {
                return Ok(());
            }
        }
    }

    /// Stores `records` and moves the checkpoints, all or nothing. False when the checkpoint
    /// had moved (nothing written).
    async fn commit(
        &self,
        records: &[ArchivedRecord],
        advances: &[Advance],
    ) -> Result<bool, ProjectorError> {
        let mut tx = self.pool.begin().await?;
        if !checkpoint::advance(&mut tx, NAME, self.log_epoch, advances).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let columns = Columns::from(records);
        let inserted = sqlx::query(
            r#"INSERT INTO event_archive (partition, "offset", key, kind, stream, headers, value)
               SELECT partition, "offset", key, kind, stream, headers::jsonb, value
               FROM UNNEST($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                           $6::text[], $7::bytea[])
                    AS r(partition, "offset", key, kind, stream, headers, value)
               ON CONFLICT (partition, "offset") DO NOTHING"#,
        )
        .bind(&columns.partition)
        .bind(&columns.offset)
        .bind(&columns.key)
        .bind(&columns.kind)
        .bind(&columns.stream)
        .bind(&columns.headers)
        .bind(&columns.value)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted < records.len() as u64 {
            // Positions already archived: a new log epoch re-reads from 0. Fine only when the
            // broker holds the very records the archive holds (a restored log).
            let diverged: Option<(i32, i64)> = sqlx::query_as(
                r#"SELECT a.partition, a."offset"
                   FROM UNNEST($1::int[], $2::bigint[], $3::bytea[]) AS r(partition, "offset", value)
                   JOIN event_archive AS a
                     ON a.partition = r.partition AND a."offset" = r."offset"
                   WHERE a.value IS DISTINCT FROM r.value
                   ORDER BY 1, 2 LIMIT 1"#,
            )
            .bind(&columns.partition)
            .bind(&columns.offset)
            .bind(&columns.value)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((partition, offset)) = diverged {
                tx.rollback().await?;
                let message = format!(
                    "event_archive holds another log than the broker at partition {partition} \
                     offset {offset}: restore the archive into an empty broker \
                     (`agora-projector restore`) or move the old archive away"
                );
                tracing::error!(projection = NAME, partition, offset, "{message}");
                return Err(ProjectorError::Invalid(message));
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Records read for one batch, with the checkpoint advances they make.
#[derive(Default)]
struct Pending {
    records: Vec<ArchivedRecord>,
    advances: Vec<Advance>,
}

impl Pending {
    /// Adds `message` when it is the next offset of its partition; skips re-deliveries and
    /// refuses gaps (continuing would silently leave records out of the archive).
    fn take(
        &mut self,
        rules: &mut HashMap<i32, PartitionRules>,
        positions: &mut HashMap<i32, i64>,
        message: &BorrowedMessage<'_>,
    ) -> Result<(), ProjectorError> {
        let partition = message.partition();
        let Some(expected) = positions.get(&partition).copied() else {
            return Ok(());
        };
        match message.offset() {
            offset if offset < expected => return Ok(()),
            offset if offset > expected => {
                return Err(LogReadError::Gap {
                    partition,
                    expected,
                    got: offset,
                }
                .into());
            }
            _ => {}
        }
        let partition_rules = rules.entry(partition).or_default();
        let record = ArchivedRecord::read(partition_rules, message);
        positions.insert(partition, expected + 1);
        let epoch = partition_rules.current_epoch();
        match self.advances.iter_mut().find(|a| a.partition == partition) {
            Some(advance) => {
                advance.next_offset = expected + 1;
                advance.epoch = epoch;
            }
            None => self.advances.push(Advance {
                partition,
                expected,
                next_offset: expected + 1,
                epoch,
            }),
        }
        self.records.push(record);
        Ok(())
    }
}

/// A consumer of the events topic assigned at `starts`.
fn open(context: &RunContext, starts: &[PartitionStart]) -> Result<StreamConsumer, ProjectorError> {
    let consumer: StreamConsumer = runtime::kafka::assigned_consumer_config(&context.kafka)
        // A position outside the log is an error, never a silent jump to another offset.
        .set("auto.offset.reset", "error")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    for start in starts {
        assignment.add_partition_offset(
            &context.topic,
            start.partition,
            Offset::Offset(start.next_offset),
        )?;
    }
    consumer.assign(&assignment)?;
    Ok(consumer)
}

/// A batch as columns for one `UNNEST` insert.
#[derive(Default)]
struct Columns {
    partition: Vec<i32>,
    offset: Vec<i64>,
    key: Vec<Option<String>>,
    kind: Vec<String>,
    stream: Vec<Option<String>>,
    headers: Vec<String>,
    value: Vec<Option<Vec<u8>>>,
}

impl From<&[ArchivedRecord]> for Columns {
    fn from(records: &[ArchivedRecord]) -> Self {
        let mut columns = Columns::default();
        for record in records {
            columns.partition.push(record.partition);
            columns.offset.push(record.offset);
            columns.key.push(record.key.clone());
            columns.kind.push(record.kind.clone());
            columns.stream.push(record.stream.clone());
            // Serialising strings and options cannot fail.
            columns
                .headers
                .push(serde_json::to_string(&record.headers).unwrap_or_else(|_| "[]".into()));
            columns.value.push(record.value.clone());
        }
        columns
    }
}
