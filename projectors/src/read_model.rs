//! Postgres projections: a [`ReadModel`] (how events become rows) wrapped in [`PgProjection`]
//! (decoding, the transaction, the checkpoint, and what to do with events that fail to apply).
//!
//! A batch is one transaction: first the conditional checkpoint update (which also locks the
//! checkpoint rows, so a second projector on the same partitions waits and then finds them
//! moved), then the model's set-based statements, then commit. When the model's statements hit
//! a data error (a duplicate slug, say), the batch is retried commit by commit under savepoints
//! and the commits that still fail are dead-lettered; everything else applies.

use std::{collections::BTreeMap, future::Future};

use domain::Aggregate;
use runtime::log::PartitionStart;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    checkpoint,
    decode::{Decoded, decode_items},
    dlq::DeadLetters,
    error::ProjectorError,
    runner::{Batch, Outcome, Projection},
};

/// The events of one aggregate, decoded.
pub type EventsOf<A> = Decoded<<A as Aggregate>::Event>;

/// How one projection turns events into rows.
pub trait ReadModel: Send + Sync + 'static {
    /// Checkpoint and DLQ name.
    const NAME: &'static str;
    /// The aggregate whose streams it reads.
    type Aggregate: Aggregate;

    /// Writes the effect of `events` (in log order) with a few set-based statements.
    fn apply<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [EventsOf<Self::Aggregate>],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'a;
}

/// A [`ReadModel`] run against Postgres with exactly-once checkpoints.
pub struct PgProjection<M> {
    pool: PgPool,
    model: M,
    log_epoch: Uuid,
}

impl<M: ReadModel> PgProjection<M> {
    /// The projection of `model` into `pool`, for the log `log_epoch`.
    pub fn new(pool: PgPool, model: M, log_epoch: Uuid) -> Self {
        Self {
            pool,
            model,
            log_epoch,
        }
    }

    /// Applies commit by commit under savepoints, dead-lettering the commits that fail.
    async fn apply_one_by_one(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<M::Aggregate>],
        dlq: &DeadLetters,
    ) -> Result<(), ProjectorError> {
        let mut commits: BTreeMap<(i64, i32), Vec<EventsOf<M::Aggregate>>> = BTreeMap::new();
        let mut order = Vec::new();
        for event in events {
            let key = (event.offset, event.partition);
            if !commits.contains_key(&key) {
                order.push(key);
            }
            commits.entry(key).or_default().push(event.clone());
        }
        for key in order {
            let group = commits.remove(&key).unwrap_or_default();
            let mut savepoint = conn.begin().await?;
            match self.model.apply(&mut savepoint, &group).await {
                Ok(()) => savepoint.commit().await?,
                Err(error) if is_data_error(&error) => {
                    savepoint.rollback().await?;
                    let payload = serde_json::json!({
                        "events": group.iter().map(|e| serde_json::json!({
                            "event_id": e.event_id,
                            "stream": e.stream,
                            "version": e.version,
                            "event": serde_json::to_value(&e.event).unwrap_or_default(),
                        })).collect::<Vec<_>>()
                    });
                    dlq.send(
                        M::NAME,
                        key.1,
                        key.0,
                        None,
                        format!("commit does not apply: {error}"),
                        payload,
                    )
                    .await?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}

/// Whether a Postgres error is about the data (constraint, value out of range) rather than the
/// connection or the server: retrying the same statement would fail the same way.
pub fn is_data_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("22") || code.starts_with("23")),
        _ => false,
    }
}

impl<M: ReadModel> Projection for PgProjection<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    fn aggregates(&self) -> Option<Vec<&'static str>> {
        Some(vec![<M::Aggregate as domain::Aggregate>::KIND])
    }

    async fn starts(&mut self, partitions: i32) -> Result<Vec<PartitionStart>, ProjectorError> {
        checkpoint::ensure(&self.pool, M::NAME, partitions, self.log_epoch).await?;
        checkpoint::load(&self.pool, M::NAME, partitions, self.log_epoch).await
    }

    async fn commit(
        &mut self,
        batch: &Batch,
        dlq: &DeadLetters,
    ) -> Result<Outcome, ProjectorError> {
        let events = decode_items::<M::Aggregate>(&batch.items, M::NAME, dlq).await?;
        let mut tx = self.pool.begin().await?;
        if !checkpoint::advance(&mut tx, M::NAME, self.log_epoch, &batch.advances).await? {
            tx.rollback().await?;
            return Ok(Outcome::Moved);
        }
        if events.is_empty() {
            tx.commit().await?;
            return Ok(Outcome::Committed);
        }
        match self.model.apply(&mut tx, &events).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(Outcome::Committed);
            }
            Err(error) if is_data_error(&error) => {
                tracing::warn!(projection = M::NAME, error = %error, "batch does not apply as a whole; applying commit by commit");
                tx.rollback().await?;
            }
            Err(error) => return Err(error.into()),
        }
        let mut tx = self.pool.begin().await?;
        if !checkpoint::advance(&mut tx, M::NAME, self.log_epoch, &batch.advances).await? {
            tx.rollback().await?;
            return Ok(Outcome::Moved);
        }
        self.apply_one_by_one(&mut tx, &events, dlq).await?;
        tx.commit().await?;
        Ok(Outcome::Committed)
    }
}
