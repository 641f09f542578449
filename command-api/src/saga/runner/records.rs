//! What the saga makes of one log item: the events it follows, the span it runs under, and the
//! outcome it counts.

use runtime::log::{Counted, ItemKind, LogItem};

use crate::saga::view::{Cause, SagaEvent};

/// The span of one live record: the ids of its commit go on every line logged under it.
pub(super) fn record_span(item: &LogItem) -> tracing::Span {
    let ItemKind::Counted(Counted::Commit(commit)) = &item.kind else {
        return tracing::Span::none();
    };
    let first = commit.events.first();
    let span = tracing::info_span!(
        "saga.record",
        partition = item.partition,
        offset = item.offset,
        // An e-mail claim's stream name is the address itself.
        stream = domain::email_claim::loggable_stream(&commit.stream),
        command.id = %commit.command_id,
        correlation_id = first.map(|e| e.correlation_id.to_string()).unwrap_or_default(),
        causation_id = first.map(|e| e.causation_id.to_string()).unwrap_or_default(),
    );
    runtime::trace_context::continue_from(&span, item.traceparent.as_deref());
    span
}

/// The events of `item` the saga follows, decoded; undecodable ones are logged and skipped.
pub(super) fn read_events(item: &LogItem) -> Vec<(Cause, SagaEvent)> {
    match &item.kind {
        ItemKind::Counted(Counted::Commit(commit)) => commit
            .events
            .iter()
            .filter_map(|envelope| match SagaEvent::read(envelope) {
                Ok(event) => event,
                Err(error) => {
                    tracing::error!(
                        partition = item.partition,
                        offset = item.offset,
                        stream = %envelope.stream,
                        event.r#type = %envelope.event_type,
                        %error,
                        "undecodable event skipped by the saga"
                    );
                    None
                }
            })
            .collect(),
        ItemKind::Poison { error, .. } => {
            tracing::error!(
                partition = item.partition,
                offset = item.offset,
                error,
                "undecodable log record skipped by the saga"
            );
            Vec::new()
        }
        // `Elsewhere` never comes: the saga's reader decodes every aggregate.
        ItemKind::Counted(Counted::Rejection(_))
        | ItemKind::Marker { .. }
        | ItemKind::Zombie { .. }
        | ItemKind::Elsewhere { .. } => Vec::new(),
    }
}

/// Counts checkouts that ended, by how (`agora_saga_outcomes_total`), from live events only.
pub(super) fn count_outcome(event: &SagaEvent) {
    use domain::{order::OrderEvent, payment::PaymentEvent};
    let outcome = match event {
        SagaEvent::Order(_, OrderEvent::OrderPaid { .. }) => "paid",
        SagaEvent::Order(_, OrderEvent::OrderRejected { .. }) => "rejected",
        SagaEvent::Order(_, OrderEvent::OrderCancelled { .. }) => "cancelled",
        SagaEvent::Payment(_, PaymentEvent::PaymentFailed { .. })
        | SagaEvent::Payment(_, PaymentEvent::PaymentDeclined { .. }) => "payment_failed",
        SagaEvent::Payment(_, PaymentEvent::PaymentRefunded { .. }) => "refunded",
        _ => return,
    };
    metrics::counter!("agora_saga_outcomes_total", "outcome" => outcome).increment(1);
}
