//! GraphQL metrics, as `docs/METRICS.md` names them:
//! `agora_graphql_operation_duration_seconds{operation, outcome}`,
//! `agora_graphql_errors_total{code}`, `agora_graphql_stale_total` and
//! `agora_graphql_cache_total{outcome}` (`hit`/`miss` of the response cache).
//!
//! Two places answer GraphQL, so two places record:
//! - `POST /graphql` records in the handler ([`answered`]), not in a schema extension, because
//!   some answers never reach the schema (a refused bearer token, a malformed consistency token)
//!   and `extensions.consistency` is added after the schema has run.
//! - `/graphql/ws` operations run as streams, which only a schema extension sees
//!   ([`OperationMetrics`]): it counts each pushed answer's errors and records the operation's
//!   duration when the stream ends or the client drops it.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use async_graphql::{
    Response, ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextSubscribe},
    futures_util::stream::{BoxStream, StreamExt},
    parser::types::{ExecutableDocument, OperationType},
};

/// Label of errors that carry no `extensions.code` (none should; the label makes one visible).
const UNKNOWN_CODE: &str = "UNKNOWN";

/// The `operation` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A query (over HTTP or, rarely, over the WebSocket).
    Query,
    /// A subscription, measured from start to its end.
    Subscription,
}

impl Operation {
    fn label(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Subscription => "subscription",
        }
    }
}

/// Records one answer of `POST /graphql`: its duration and outcome, its errors by code, and
/// whether it was given stale (`extensions.consistency.stale`).
pub fn answered(elapsed: Duration, response: &Response) {
    count_errors(&response.errors);
    record_duration(Operation::Query, elapsed, !response.errors.is_empty());
    let stale = response
        .extensions
        .get("consistency")
        .and_then(|report| match report {
            async_graphql::Value::Object(fields) => fields.get("stale"),
            _ => None,
        })
        .is_some_and(|stale| *stale == async_graphql::Value::Boolean(true));
    if stale {
        metrics::counter!("agora_graphql_stale_total").increment(1);
    }
}

/// Records an answer served from the response cache (always error-free).
pub fn answered_from_cache(elapsed: Duration) {
    record_duration(Operation::Query, elapsed, false);
}

/// Counts one look-up of the response cache.
pub fn cache_lookup(hit: bool) {
    let outcome = if hit { "hit" } else { "miss" };
    metrics::counter!("agora_graphql_cache_total", "outcome" => outcome).increment(1);
}

fn record_duration(operation: Operation, elapsed: Duration, failed: bool) {
    let outcome = if failed { "error" } else { "ok" };
    metrics::histogram!(
        "agora_graphql_operation_duration_seconds",
        "operation" => operation.label(),
        "outcome" => outcome
    )
    .record(elapsed.as_secs_f64());
}

fn count_errors(errors: &[ServerError]) {
    for error in errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(code) => Some(code.clone()),
                _ => None,
            })
            .unwrap_or_else(|| UNKNOWN_CODE.to_string());
        metrics::counter!("agora_graphql_errors_total", "code" => code).increment(1);
    }
}

/// Schema extension that measures operations run as streams (`/graphql/ws`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OperationMetrics;

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StreamMetrics::default())
    }
}

/// One request's instance: the operation type, learned when the document is parsed (which
/// happens after the stream is set up, on its first poll).
#[derive(Debug, Default)]
struct StreamMetrics {
    operation: Arc<OnceLock<Operation>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for StreamMetrics {
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let mut lifetime = Lifetime {
            started: Instant::now(),
            failed: false,
            operation: Arc::clone(&self.operation),
        };
        next.run(ctx, stream)
            .map(move |response| {
                lifetime.observe(&response);
                response
            })
            .boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let subscription = document
            .operations
            .iter()
            .any(|(_, operation)| operation.node.ty == OperationType::Subscription);
        let operation = if subscription {
            Operation::Subscription
        } else {
            Operation::Query
        };
        // Set once per request; a second parse cannot happen, so the result is ignorable.
        let _ = self.operation.set(operation);
        Ok(document)
    }
}

/// Lives as long as one streamed operation; records its duration when dropped (the stream
/// ended, or the client stopped or disconnected).
struct Lifetime {
    started: Instant,
    failed: bool,
    operation: Arc<OnceLock<Operation>>,
}

impl Lifetime {
    fn observe(&mut self, response: &Response) {
        count_errors(&response.errors);
        self.failed |= !response.errors.is_empty();
    }
}

impl Drop for Lifetime {
    fn drop(&mut self) {
        // A stream refused before its document parsed is still a subscription attempt.
        let operation = self
            .operation
            .get()
            .copied()
            .unwrap_or(Operation::Subscription);
        record_duration(operation, self.started.elapsed(), self.failed);
    }
}
