//! W3C trace context (`traceparent`) across the Kafka hops.
//!
//! The HTTP request span of command-api writes its context on the command record; the processor
//! continues it in one span per command and writes that span's context on the commit; the saga
//! and the projectors continue it per record (a batch span links every record it applies).
//! With OTLP export off there are no OpenTelemetry span ids to hand on, so an incoming
//! `traceparent` is passed through unchanged: a client's trace still reaches every record.

use std::collections::HashMap;

use opentelemetry::{
    Context,
    propagation::TextMapPropagator,
    trace::{SpanContext, TraceContextExt},
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::telemetry::otlp;

const TRACEPARENT: &str = "traceparent";

/// The remote span a `traceparent` value names, when it is well formed.
fn remote(traceparent: &str) -> Option<Context> {
    let carrier = HashMap::from([(TRACEPARENT.to_string(), traceparent.to_string())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    context.span().span_context().is_valid().then_some(context)
}

fn span_context(traceparent: &str) -> Option<SpanContext> {
    remote(traceparent).map(|context| context.span().span_context().clone())
}

/// Makes `span` a child of the span `traceparent` names. Call it before the span is entered.
pub fn continue_from(span: &Span, traceparent: Option<&str>) {
    if !otlp::enabled() {
        return;
    }
    if let Some(context) = traceparent.and_then(remote) {
        // Fails only when the span was already started or has no OpenTelemetry data (filtered
        // out): it then stays a root span, which loses the link but nothing else.
        let _ = span.set_parent(context);
    }
}

/// Links `span` to the span `traceparent` names: for a batch that serves many traces.
pub fn link(span: &Span, traceparent: Option<&str>) {
    if !otlp::enabled() {
        return;
    }
    if let Some(context) = traceparent.and_then(span_context) {
        span.add_link(context);
    }
}

/// The `traceparent` of `span` itself, when spans are exported and `span` is recorded.
pub fn of(span: &Span) -> Option<String> {
    if !otlp::enabled() {
        return None;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// What to write on a record produced inside `span`: the span's own context when spans are
/// exported, otherwise the context that came in (passed through).
pub fn outgoing(span: &Span, incoming: Option<&str>) -> Option<String> {
    of(span).or_else(|| incoming.map(str::to_string))
}

/// The spans of one batch of log records applied together (a projection's batch): the batch
/// span, linked to every traced record's context, and one span per traced record, a child of
/// the command span that wrote it, so a request's trace reaches the projection. Hold the value
/// while the batch is applied: record spans end when it is dropped.
#[derive(Debug)]
pub struct BatchSpans {
    /// The batch span: instrument the apply with it.
    pub batch: Span,
    records: Vec<Span>,
}

impl BatchSpans {
    /// How many records got a span of their own (those with a trace context, when exported).
    pub fn traced_records(&self) -> usize {
        self.records.len()
    }
}

/// Spans for `items` applied together by `consumer` (a projection's name).
pub fn batch_spans(consumer: &'static str, items: &[crate::log::LogItem]) -> BatchSpans {
    let batch = tracing::info_span!(
        "projector.batch",
        projection = consumer,
        records = items.len()
    );
    if !otlp::enabled() {
        return BatchSpans {
            batch,
            records: Vec::new(),
        };
    }
    let mut records = Vec::new();
    for item in items {
        let Some(traceparent) = item.traceparent.as_deref() else {
            continue;
        };
        link(&batch, Some(traceparent));
        let crate::log::ItemKind::Counted(crate::log::Counted::Commit(commit)) = &item.kind else {
            continue;
        };
        let first = commit.events.first();
        let record = tracing::info_span!(
            parent: None,
            "projector.record",
            projection = consumer,
            partition = item.partition,
            offset = item.offset,
            stream = %commit.stream,
            command.id = %commit.command_id,
            correlation_id = first.map(|e| e.correlation_id.to_string()).unwrap_or_default(),
            causation_id = first.map(|e| e.causation_id.to_string()).unwrap_or_default(),
        );
        continue_from(&record, Some(traceparent));
        records.push(record);
    }
    BatchSpans { batch, records }
}

/// The span of one HTTP request (for `tower_http`'s `TraceLayer::make_span_with`): a child of
/// the caller's `traceparent` when it sent one.
pub fn http_span<B>(request: &axum::http::Request<B>) -> Span {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %request.uri().path(),
    );
    continue_from(
        &span,
        request
            .headers()
            .get(TRACEPARENT)
            .and_then(|value| value.to_str().ok()),
    );
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_traceparent_names_a_remote_span() {
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = span_context(value).unwrap_or_else(SpanContext::empty_context);
        assert!(context.is_valid());
        assert_eq!(
            context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(context.is_remote());
    }

    #[test]
    fn garbage_is_no_parent() {
        assert!(span_context("not-a-traceparent").is_none());
        assert!(span_context("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
    }

    #[test]
    fn without_export_the_incoming_context_is_passed_through() {
        let span = tracing::info_span!("hop");
        assert_eq!(of(&span), None);
        assert_eq!(
            outgoing(
                &span,
                Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            )
            .as_deref(),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
    }
}
