//! The reactor projection: reads customer, order, payment and inventory events and fills the
//! outbox, in one transaction with its checkpoint.
//!
//! It is a [`Projection`] of its own rather than a [`crate::read_model::ReadModel`], because it
//! reads four aggregates at once. A batch: decode, move the checkpoint conditionally (the fence
//! against a second projector), load the orders and payments it refers to, decide
//! ([`super::decide::plan`]), write ([`super::store::write`]), commit, then wake the sender when
//! something new is queued.

use std::{sync::Arc, time::Duration};

use domain::{customer::Customer, inventory::InventoryItem, order::Order, payment::Payment};
use runtime::log::PartitionStart;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use super::{
    NAME,
    decide::{self, Events},
    store,
};
use crate::{
    checkpoint,
    decode::decode_items,
    dlq::DeadLetters,
    error::ProjectorError,
    runner::{Batch, Outcome, Projection},
};

/// The notifications reactor of one log epoch.
pub struct Reactor {
    pool: PgPool,
    log_epoch: Uuid,
    staff_email: String,
    max_age: Duration,
    wake: Arc<Notify>,
}

impl Reactor {
    /// The reactor writing into `pool` for `log_epoch`; low-stock mails go to `staff_email`,
    /// events older than `max_age` are recorded as skipped, and `wake` is notified when a batch
    /// queued new mail.
    pub fn new(
        pool: PgPool,
        log_epoch: Uuid,
        staff_email: String,
        max_age: Duration,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            pool,
            log_epoch,
            staff_email,
            max_age,
            wake,
        }
    }
}

impl Projection for Reactor {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn starts(&mut self, partitions: i32) -> Result<Vec<PartitionStart>, ProjectorError> {
        checkpoint::ensure(&self.pool, NAME, partitions, self.log_epoch).await?;
        checkpoint::load(&self.pool, NAME, partitions, self.log_epoch).await
    }

    async fn commit(
        &mut self,
        batch: &Batch,
        dlq: &DeadLetters,
    ) -> Result<Outcome, ProjectorError> {
        let events = Events {
            customers: decode_items::<Customer>(&batch.items, NAME, dlq).await?,
            orders: decode_items::<Order>(&batch.items, NAME, dlq).await?,
            payments: decode_items::<Payment>(&batch.items, NAME, dlq).await?,
            inventory: decode_items::<InventoryItem>(&batch.items, NAME, dlq).await?,
        };
        let mut tx = self.pool.begin().await?;
        if !checkpoint::advance(&mut tx, NAME, self.log_epoch, &batch.advances).await? {
            tx.rollback().await?;
            return Ok(Outcome::Moved);
        }
        let mut queued = 0;
        if !events.is_empty() {
            let known = store::load_known(&mut tx, &events).await?;
            let plan = decide::plan(&events, &known, &self.staff_email);
            queued = store::write(&mut tx, &plan, self.max_age).await?;
        }
        tx.commit().await?;
        if queued > 0 {
            tracing::debug!(projection = NAME, queued, "notifications queued");
            self.wake.notify_one();
        }
        Ok(Outcome::Committed)
    }
}
