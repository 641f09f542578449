//! Tracing around a projection's batches: every batch runs in a `projector.batch` span linked
//! to the traces of its records, and each traced record gets a `projector.record` span that
//! continues the trace of the command that wrote it (see [`runtime::trace_context`]).
//!
//! A wrapper rather than code in the run loop, so every projection gets the same spans and the
//! loop stays about reading and checkpointing.

use runtime::{log::PartitionStart, shutdown::Shutdown};
use tracing::Instrument;

use crate::{
    dlq::DeadLetters,
    error::ProjectorError,
    runner::{self, Batch, Outcome, Projection, RunContext},
};

/// A projection whose batches are traced.
#[derive(Debug)]
pub struct Traced<P>(pub P);

impl<P: Projection> Projection for Traced<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn aggregates(&self) -> Option<Vec<&'static str>> {
        self.0.aggregates()
    }

    fn starts(
        &mut self,
        partitions: i32,
    ) -> impl Future<Output = Result<Vec<PartitionStart>, ProjectorError>> + Send {
        self.0.starts(partitions)
    }

    async fn commit(
        &mut self,
        batch: &Batch,
        dlq: &DeadLetters,
    ) -> Result<Outcome, ProjectorError> {
        let spans = runtime::trace_context::batch_spans(self.0.name(), &batch.items);
        let outcome = self
            .0
            .commit(batch, dlq)
            .instrument(spans.batch.clone())
            .await;
        // The record spans end here, with the batch that applied them.
        drop(spans);
        outcome
    }
}

/// Runs `projection` like [`runner::run`], with its batches traced.
pub async fn run<P: Projection>(
    projection: P,
    context: RunContext,
    shutdown: Shutdown,
) -> Result<(), ProjectorError> {
    runner::run(Traced(projection), context, shutdown).await
}
