//! The load generator's HTTP client: every command carries an `Idempotency-Key`, and a timeout,
//! a connection error, a `5xx`, a `429` or a `202 pending` is retried with the same key (and the
//! other API instance) until a definite answer or a deadline. Every success is written to the
//! [`Ledger`] with its command id, for the auditor.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// Longest one logical command is retried: longer than the longest broker freeze plus a
/// restart of every process involved.
const COMMAND_DEADLINE: Duration = Duration::from_secs(120);

/// One acknowledged command.
#[derive(Debug, Clone, Serialize)]
pub struct Ack {
    /// The command id the API returned.
    pub command_id: Uuid,
    /// The stream it addressed.
    pub stream: String,
    /// What it was (`checkout`, `pay`, …).
    pub what: &'static str,
}

/// Every command that got a success reply, and the refusals that followed an attempt whose
/// fate was unknown (a request that may have succeeded, retried, then refused).
#[derive(Debug, Default)]
pub struct Ledger {
    acks: Mutex<Vec<Ack>>,
    uncertain_refusals: Mutex<Vec<String>>,
}

impl Ledger {
    fn push(&self, ack: Ack) {
        self.acks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ack);
    }

    /// Refusals after an unanswered attempt: `what status code`.
    pub fn uncertain_refusals(&self) -> Vec<String> {
        self.uncertain_refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A copy of every acknowledgement so far.
    pub fn acks(&self) -> Vec<Ack> {
        self.acks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Counters of the load, shown in the summary.
#[derive(Debug, Default)]
pub struct Counters {
    /// Logical commands sent (retries not included).
    pub sent: AtomicU64,
    /// Commands answered with success.
    pub succeeded: AtomicU64,
    /// Commands answered with a 4xx (a domain refusal or a validation error).
    pub rejected: AtomicU64,
    /// Of those, refusals that came after an attempt whose fate was unknown.
    pub rejected_after_retry: AtomicU64,
    /// Extra attempts with the same key.
    pub retried: AtomicU64,
    /// Commands still without a definite answer at the deadline.
    pub unanswered: AtomicU64,
    /// Query API reads answered.
    pub reads_ok: AtomicU64,
    /// Query API read attempts that failed (retried).
    pub reads_failed: AtomicU64,
}

/// Counter values, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct CounterValues {
    /// See [`Counters`].
    pub sent: u64,
    /// See [`Counters`].
    pub succeeded: u64,
    /// See [`Counters`].
    pub rejected: u64,
    /// See [`Counters`].
    pub rejected_after_retry: u64,
    /// See [`Counters`].
    pub retried: u64,
    /// See [`Counters`].
    pub unanswered: u64,
    /// See [`Counters`].
    pub reads_ok: u64,
    /// See [`Counters`].
    pub reads_failed: u64,
}

impl Counters {
    /// Current values.
    pub fn values(&self) -> CounterValues {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CounterValues {
            sent: get(&self.sent),
            succeeded: get(&self.succeeded),
            rejected: get(&self.rejected),
            rejected_after_retry: get(&self.rejected_after_retry),
            retried: get(&self.retried),
            unanswered: get(&self.unanswered),
            reads_ok: get(&self.reads_ok),
            reads_failed: get(&self.reads_failed),
        }
    }
}

/// A definite answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 2xx with the body.
    Ok(Value),
    /// 4xx with status and body.
    Refused(u16, Value),
    /// No definite answer before the deadline.
    Unanswered,
}

/// One command request.
pub struct Request<'a> {
    /// HTTP method.
    pub method: Method,
    /// Path under the API base.
    pub path: String,
    /// JSON body.
    pub body: Value,
    /// Bearer token.
    pub bearer: Option<&'a str>,
    /// `x-consistency-token` to honour.
    pub consistency: Option<&'a str>,
    /// Label for the ledger.
    pub what: &'static str,
}

/// The HTTP side of the load.
pub struct Client {
    http: reqwest::Client,
    apis: Vec<String>,
    query_api: String,
    /// Counters.
    pub counters: Counters,
    /// Acknowledged commands.
    pub ledger: Ledger,
}

impl Client {
    /// A client for the given API base URLs.
    pub fn new(apis: Vec<String>, query_api: String) -> anyhow::Result<Self> {
        Ok(Self {
            // Longer than the APIs' own bounded waits (command 5 s + checkout verdict 10 s).
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .connect_timeout(Duration::from_secs(3))
                .build()?,
            apis,
            query_api,
            counters: Counters::default(),
            ledger: Ledger::default(),
        })
    }

    /// Sends one command with a fresh idempotency key, retrying with the same key.
    pub async fn command(&self, worker: usize, request: Request<'_>) -> Answer {
        let key = Uuid::new_v4().to_string();
        self.counters.sent.fetch_add(1, Ordering::Relaxed);
        let deadline = tokio::time::Instant::now() + COMMAND_DEADLINE;
        let mut uncertain = false;
        for attempt in 0u32.. {
            if attempt > 0 {
                self.counters.retried.fetch_add(1, Ordering::Relaxed);
                let pause = Duration::from_millis((100u64 << attempt.min(5)).min(2000));
                tokio::time::sleep(pause).await;
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            let base = &self.apis[(worker + attempt as usize) % self.apis.len()];
            let mut builder = self
                .http
                .request(request.method.clone(), format!("{base}{}", request.path))
                .header("idempotency-key", &key)
                .json(&request.body);
            if let Some(token) = request.bearer {
                builder = builder.bearer_auth(token);
            }
            if let Some(token) = request.consistency {
                builder = builder.header("x-consistency-token", token);
            }
            let Ok(response) = builder.send().await else {
                uncertain = true;
                continue;
            };
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let pending = status == 202 && body["status"] == "pending";
            if status >= 500 || status == 429 || pending {
                uncertain = true;
                continue;
            }
            if (200..300).contains(&status) {
                self.counters.succeeded.fetch_add(1, Ordering::Relaxed);
                // `created: false` (a cart that already existed) answers with the command that
                // found it: its record is a refusal, not a commit.
                let wrote = body["created"].as_bool() != Some(false);
                if let (true, Some(id), Some(stream)) = (
                    wrote,
                    body["command_id"].as_str().and_then(|id| id.parse().ok()),
                    body["stream"].as_str(),
                ) {
                    self.ledger.push(Ack {
                        command_id: id,
                        stream: stream.to_string(),
                        what: request.what,
                    });
                }
                return Answer::Ok(body);
            }
            self.counters.rejected.fetch_add(1, Ordering::Relaxed);
            if uncertain {
                self.counters
                    .rejected_after_retry
                    .fetch_add(1, Ordering::Relaxed);
                let code = body["error"]["code"].as_str().unwrap_or_default();
                let message = body["error"]["message"].as_str().unwrap_or_default();
                self.ledger
                    .uncertain_refusals
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(format!("{} {status} {code}: {message}", request.what));
            }
            return Answer::Refused(status, body);
        }
        self.counters.unanswered.fetch_add(1, Ordering::Relaxed);
        Answer::Unanswered
    }

    /// One GraphQL read on the query API, retried a few times; true when answered.
    pub async fn read(&self, bearer: &str) -> bool {
        let query = serde_json::json!({ "query": "{ products(first: 5) { edges { node { slug name } } } }" });
        for attempt in 0..10u64 {
            let answered = self
                .http
                .post(format!("{}/graphql", self.query_api))
                .bearer_auth(bearer)
                .json(&query)
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if let Some(response) = answered
                && response
                    .json::<Value>()
                    .await
                    .is_ok_and(|body| body["data"]["products"].is_object())
            {
                self.counters.reads_ok.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            self.counters.reads_failed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
        }
        false
    }
}
