//! Starting on a log the saga holds no position in: fold it to its end, then reconcile.
//!
//! That happens once per log epoch: at genesis (nothing in flight, nothing to re-emit) and
//! after a restore (the archive republished under a new epoch, so old positions point into
//! another log). Reacting to the whole restored log again would be correct (every command id is
//! derived, so the processors answer repeats from the log) but slow and noisy; instead the saga
//! folds it without reacting, hands the [`Ledger`] to [`Ledger::reconcile`], emits what the
//! checkouts in flight still need, and stores positions at the end before going live.

use std::collections::HashMap;

use rdkafka::consumer::BaseConsumer;
use runtime::{
    config::KafkaConfig,
    log::{ItemKind, Position},
    shutdown::Shutdown,
};

use super::{MAX_BATCH, Saga, SagaError, read_events};
use crate::saga::reconcile::Ledger;

/// How long the startup fold waits for a record before taking the log as read to its end.
const QUIET: std::time::Duration = std::time::Duration::from_millis(500);

/// Each partition's end as the broker reports it at startup.
///
/// The local broker reports high watermarks per record batch, so they can fall short of the
/// last record; [`Saga::catch_up`] also reads until the log is quiet. Stopping short only means
/// the last records are reacted to live, which their derived command ids make harmless.
pub(super) async fn log_ends(
    kafka: &KafkaConfig,
    topic: &str,
    partitions: i32,
) -> Result<Vec<i64>, SagaError> {
    let kafka = kafka.clone();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || -> Result<Vec<i64>, SagaError> {
        let probe: BaseConsumer = runtime::kafka::assigned_consumer_config(&kafka).create()?;
        Ok(runtime::kafka::high_watermarks(&probe, &topic, partitions)?)
    })
    .await
    .map_err(|_| SagaError::Startup)?
}

impl Saga {
    /// Folds the log up to `ends` (and on until a batch comes back short: the reader is at the
    /// head) without reacting, emits the reconciliation's commands and waits for their acks;
    /// returns the positions to store, or `None` when shut down first.
    pub(super) async fn catch_up(
        &mut self,
        ends: &[i64],
        shutdown: &Shutdown,
    ) -> Result<Option<Vec<(i32, Position)>>, SagaError> {
        let mut ledger = Ledger::default();
        let mut read = 0usize;
        loop {
            let batch = tokio::select! {
                () = shutdown.wait() => return Ok(None),
                batch = self.reader.poll_batch(MAX_BATCH, std::time::Duration::from_millis(20), QUIET) => batch?,
            };
            read += batch.len();
            for item in &batch {
                if let ItemKind::Counted(counted) = &item.kind {
                    ledger.answer(counted);
                }
                for (cause, event) in read_events(item) {
                    self.view.apply(&event);
                    ledger.observe(&cause, &event, &self.view);
                }
            }
            let reached = self.reader.partitions().into_iter().all(|p| {
                let end = usize::try_from(p)
                    .ok()
                    .and_then(|i| ends.get(i))
                    .copied()
                    .unwrap_or(0);
                self.reader
                    .position(p)
                    .is_some_and(|pos| pos.next_offset >= end)
            });
            if reached && batch.len() < MAX_BATCH {
                break;
            }
        }
        let reconciliation = ledger.reconcile(&self.view, &self.rules);
        drop(ledger);
        let (orders, payments) = self.view.size();
        // Re-emitted commands start new traces: the requests that began these checkouts are gone.
        let reactions = reconciliation
            .reactions
            .into_iter()
            .map(|r| (r, None))
            .collect();
        let commands = self.perform(reactions).await?;
        tracing::info!(
            records = read,
            orders,
            payments,
            sagas_in_flight = reconciliation.in_flight,
            commands_reemitted = commands,
            "checkout saga reconciled the log: live from its end"
        );
        let positions: Vec<(i32, Position)> = self
            .reader
            .partitions()
            .into_iter()
            .filter_map(|p| Some((p, self.reader.position(p)?)))
            .collect();
        self.react_from = positions
            .iter()
            .map(|(p, pos)| (*p, pos.next_offset))
            .collect::<HashMap<_, _>>();
        Ok(Some(positions))
    }
}
