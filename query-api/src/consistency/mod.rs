//! Read-your-writes: a request may carry the consistency token a command returned
//! (`x-consistency-token`); resolvers then wait, bounded, until the projections they read have
//! passed the token's positions.
//!
//! - The HTTP handler parses the header ([`from_headers`]; a malformed token is refused with
//!   `BAD_USER_INPUT` before anything runs) and gives the request a [`Consistency`] that starts
//!   the clock: the bound (`AGORA_CONSISTENCY_WAIT_MS`) covers the whole request, however many
//!   resolver families wait in it.
//! - Each resolver family calls [`wait_for`] with the [`Projection`]s it reads. A projection
//!   seen past the token once is not checked again in the same request.
//! - Past the bound the resolver answers anyway and the response says `stale: true`; a token of
//!   another log epoch (the log was restored since) can never be passed, so it is answered
//!   stale at once with `reason: "LOG_EPOCH_MISMATCH"`.
//! - [`Consistency::report`] becomes `extensions.consistency = { stale, waitedMs, reason? }`
//!   on every response to a request that carried a token.
//!
//! # Layout
//! - [`token`]: the token format and its parser.
//! - `wait`: polling `projection_checkpoints` until the positions are passed.

pub mod token;
mod wait;

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use async_graphql::{Context, Value};
use axum::http::HeaderMap;
use tokio::time::Instant;

pub use self::token::{ConsistencyToken, TokenError};
use crate::error::QueryError;

/// The request header carrying a consistency token.
pub const HEADER: &str = "x-consistency-token";

/// A read model the query side reads, named as in `projection_checkpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Projection {
    /// `catalog_products`, `catalog_variants`.
    Catalog,
    /// `inventory_items`.
    Inventory,
    /// `orders`, `order_lines`, `order_status_history`.
    Orders,
    /// `payments`.
    Payments,
    /// `customers`.
    Customers,
    /// `carts`.
    Carts,
    /// `coupons`.
    Coupons,
    /// `notifications` (the reactor's outbox, which doubles as the caller's mail list).
    Notifications,
}

impl Projection {
    /// The checkpoint name the projector writes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Inventory => "inventory",
            Self::Orders => "orders",
            Self::Payments => "payments",
            Self::Customers => "customers",
            Self::Carts => "carts",
            Self::Coupons => "coupons",
            Self::Notifications => "notifications",
        }
    }
}

/// The consistency token of a request, or none; a malformed one is `BAD_USER_INPUT`.
pub fn from_headers(headers: &HeaderMap) -> Result<Option<ConsistencyToken>, QueryError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| QueryError::BadUserInput(format!("`{HEADER}` is not ASCII text")))?;
    let token = text
        .parse()
        .map_err(|error: TokenError| QueryError::BadUserInput(format!("`{HEADER}`: {error}")))?;
    Ok(Some(token))
}

/// Why an answer is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// The projections had not passed the token when the bound ran out.
    Timeout,
    /// The token belongs to another log epoch, which no projection will ever pass.
    LogEpochMismatch,
}

/// What one request waited for and whether it got it.
#[derive(Debug, Default)]
struct Outcome {
    /// Projections seen past the token.
    passed: HashSet<Projection>,
    /// Set once any wait gave up; later waits return at once.
    stale: Option<StaleReason>,
    /// Longest time from the start of the request to the end of a wait.
    waited: Duration,
}

/// Read-your-writes state of one request (shared by its resolvers).
#[derive(Debug)]
pub struct Consistency {
    token: ConsistencyToken,
    started: Instant,
    deadline: Instant,
    outcome: Mutex<Outcome>,
}

impl Consistency {
    /// Starts waiting for `token`, for at most `bound` in total.
    pub fn new(token: ConsistencyToken, bound: Duration) -> Arc<Self> {
        let started = Instant::now();
        Arc::new(Self {
            token,
            started,
            deadline: started + bound,
            outcome: Mutex::default(),
        })
    }

    /// `{ stale, waitedMs, reason? }` for the response's `extensions.consistency`.
    pub fn report(&self) -> Value {
        let outcome = self.lock();
        let mut report = async_graphql::indexmap::IndexMap::new();
        report.insert(
            async_graphql::Name::new("stale"),
            Value::from(outcome.stale.is_some()),
        );
        let waited_ms = u64::try_from(outcome.waited.as_millis()).unwrap_or(u64::MAX);
        report.insert(async_graphql::Name::new("waitedMs"), Value::from(waited_ms));
        if let Some(reason) = outcome.stale {
            let reason = match reason {
                StaleReason::Timeout => "TIMEOUT",
                StaleReason::LogEpochMismatch => "LOG_EPOCH_MISMATCH",
            };
            report.insert(async_graphql::Name::new("reason"), Value::from(reason));
        }
        Value::Object(report)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Outcome> {
        // The guarded data is plain bookkeeping that is valid after any panic.
        self.outcome.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Waits (bounded) until `projections` have passed the request's consistency token; returns at
/// once for a request without one. Call it first in every resolver that reads those projections.
pub async fn wait_for(ctx: &Context<'_>, projections: &[Projection]) -> Result<(), QueryError> {
    let Some(consistency) = ctx.data_opt::<Arc<Consistency>>() else {
        return Ok(());
    };
    let store = ctx
        .data::<crate::store::Store>()
        .map_err(|_| QueryError::MissingContext("Store"))?;
    consistency.wait(store, projections).await
}

/// Runs `request` on `schema` honouring the request's consistency token, if any: a malformed
/// token answers `BAD_USER_INPUT` without running anything; otherwise the response carries
/// `extensions.consistency`.
pub async fn execute<Q, M, S>(
    schema: &async_graphql::Schema<Q, M, S>,
    request: async_graphql::Request,
    headers: &HeaderMap,
    bound: Duration,
) -> async_graphql::Response
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    let token = match from_headers(headers) {
        Ok(token) => token,
        Err(error) => {
            let error = async_graphql::Error::from(error).into_server_error(Default::default());
            return async_graphql::Response::from_errors(vec![error]);
        }
    };
    let Some(token) = token else {
        return schema.execute(request).await;
    };
    let consistency = Consistency::new(token, bound);
    let mut response = schema.execute(request.data(consistency.clone())).await;
    response
        .extensions
        .insert("consistency".to_string(), consistency.report());
    response
}
