//! The switch guard of ClickHouse projections: each batch holds a shared Postgres advisory lock
//! while it writes facts and position, and a ClickHouse switch takes the same lock exclusively.
//!
//! ClickHouse has no transactions to hold a writer still, and its facts and position are two
//! inserts. Without the guard a batch could write its facts into tables that are being renamed
//! away and its position after the rename, and the new tables would miss that batch. With it,
//! a switch waits for the batch in flight, and batches wait (briefly) for the switch.

use sqlx::PgPool;

use crate::{
    dlq::DeadLetters,
    error::ProjectorError,
    runner::{Batch, Outcome, Projection},
};

/// The advisory lock key text of `projection`'s switch (hashed with `hashtext`).
pub fn lock_name(projection: &str) -> String {
    format!("agora-switch-{projection}")
}

/// A projection whose batches hold the shared switch lock.
pub struct SwitchGuarded<P> {
    inner: P,
    pool: PgPool,
}

impl<P: Projection> SwitchGuarded<P> {
    /// Guards `inner` with locks taken through `pool`.
    pub fn new(inner: P, pool: PgPool) -> Self {
        Self { inner, pool }
    }
}

impl<P: Projection> Projection for SwitchGuarded<P> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn aggregates(&self) -> Option<Vec<&'static str>> {
        self.inner.aggregates()
    }

    async fn starts(
        &mut self,
        partitions: i32,
    ) -> Result<Vec<runtime::log::PartitionStart>, ProjectorError> {
        self.inner.starts(partitions).await
    }

    async fn commit(
        &mut self,
        batch: &Batch,
        dlq: &DeadLetters,
    ) -> Result<Outcome, ProjectorError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock_shared(hashtext($1))")
            .bind(lock_name(self.inner.name()))
            .execute(&mut *tx)
            .await?;
        let outcome = self.inner.commit(batch, dlq).await;
        // Commit (not roll back) either way: the transaction only carries the lock.
        tx.commit().await?;
        outcome
    }
}
