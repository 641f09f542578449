//! Health endpoints: `/healthz` answers while the process runs; `/readyz` runs the service's
//! readiness checks and lists each one; `/metrics` serves the process's Prometheus metrics.
//!
//! A [`Readiness`] is the registry of a service's checks. Two kinds go in it: *probes* run at
//! every `/readyz` (a dependency answering: the broker, Postgres, ClickHouse), and *states* a
//! worker reports as it goes (partitions assigned, projections caught up). `/readyz` answers
//! `200 {"status":"ready","checks":{"broker":"ok",…}}` when every check is ok and `503` with
//! `"status":"unready"` and the failing checks' reasons otherwise.

use std::{
    collections::BTreeMap,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde::Serialize;

use crate::{config::KafkaConfig, shutdown::Shutdown};

/// How long one probe may take before it counts as failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The state reported before a worker said anything.
const STARTING: &str = "starting";

type ProbeFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Probe = Arc<dyn Fn() -> ProbeFuture + Send + Sync>;

#[derive(Default)]
struct Registry {
    probes: Vec<(&'static str, Probe)>,
    states: BTreeMap<&'static str, Result<(), String>>,
}

/// The readiness checks of one service; clones share them.
#[derive(Clone, Default)]
pub struct Readiness(Arc<Mutex<Registry>>);

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registry = self.lock();
        f.debug_struct("Readiness")
            .field(
                "probes",
                &registry
                    .probes
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field("states", &registry.states)
            .finish()
    }
}

impl Readiness {
    /// Marks the worker itself ready or not (the `worker` state).
    pub fn set(&self, ready: bool) {
        self.report("worker", if ready { Ok(()) } else { Err(STARTING.into()) });
    }

    /// Records the latest outcome of a check the worker evaluates itself.
    pub fn report(&self, name: &'static str, state: Result<(), String>) {
        self.lock().states.insert(name, state);
    }

    /// Adds a probe run at every `/readyz`, bounded by [`PROBE_TIMEOUT`].
    pub fn probe<F, Fut>(&self, name: &'static str, probe: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let probe: Probe = Arc::new(move || Box::pin(probe()));
        self.lock().probes.push((name, probe));
    }

    /// Adds a probe of the broker: its metadata for `topic` answers.
    pub fn probe_broker(&self, kafka: &KafkaConfig, topic: String) {
        let kafka = kafka.clone();
        // One client for every probe: creating one per request would open connections and
        // threads each time a load balancer asks.
        let client: Arc<Mutex<Option<Arc<BaseConsumer>>>> = Arc::default();
        self.probe("broker", move || {
            let (kafka, topic, client) = (kafka.clone(), topic.clone(), Arc::clone(&client));
            async move {
                tokio::task::spawn_blocking(move || broker_answers(&kafka, &topic, &client))
                    .await
                    .map_err(|error| format!("probe failed: {error}"))?
            }
        });
    }

    /// Whether the worker said it is ready (the `worker` state alone; probes are not run).
    pub fn is_ready(&self) -> bool {
        matches!(self.lock().states.get("worker"), Some(Ok(())))
    }

    /// Runs every probe (concurrently) and collects them with the reported states.
    pub async fn evaluate(&self) -> Report {
        let (probes, states) = {
            let registry = self.lock();
            (registry.probes.clone(), registry.states.clone())
        };
        let runs = probes.into_iter().map(|(name, probe)| async move {
            let outcome = match tokio::time::timeout(PROBE_TIMEOUT, probe()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
            };
            (name, outcome)
        });
        let mut checks: BTreeMap<&'static str, Result<(), String>> =
            futures::future::join_all(runs).await.into_iter().collect();
        checks.extend(states);
        if checks.is_empty() {
            checks.insert("worker", Err(STARTING.into()));
        }
        Report::from_outcomes(checks)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A poisoned registry only means a check panicked while inserting; the map is intact.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn broker_answers(
    kafka: &KafkaConfig,
    topic: &str,
    client: &Mutex<Option<Arc<BaseConsumer>>>,
) -> Result<(), String> {
    let consumer = {
        let mut slot = client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_ref() {
            Some(consumer) => Arc::clone(consumer),
            None => {
                let consumer: BaseConsumer = crate::kafka::assigned_consumer_config(kafka)
                    .create()
                    .map_err(|error| format!("unreachable: {error}"))?;
                let consumer = Arc::new(consumer);
                *slot = Some(Arc::clone(&consumer));
                consumer
            }
        }
    };
    let metadata = consumer
        // Shorter than the probe's bound, so an unreachable broker reads as such.
        .fetch_metadata(Some(topic), PROBE_TIMEOUT / 2)
        .map_err(|error| format!("unreachable: {error}"))?;
    match metadata.topics().iter().find(|t| t.name() == topic) {
        Some(found) if found.error().is_none() && !found.partitions().is_empty() => Ok(()),
        _ => Err(format!("topic {topic} missing")),
    }
}

/// What `/readyz` answers: every check by name, `"ok"` or why not.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// `ready` or `unready`.
    pub status: &'static str,
    /// Each check's outcome.
    pub checks: BTreeMap<String, String>,
}

impl Report {
    /// A report from named outcomes: ready when every one is `Ok`.
    pub fn from_outcomes<K: Into<String>>(
        outcomes: impl IntoIterator<Item = (K, Result<(), String>)>,
    ) -> Self {
        let mut ready = true;
        let checks = outcomes
            .into_iter()
            .map(|(name, outcome)| {
                let text = match outcome {
                    Ok(()) => "ok".to_string(),
                    Err(reason) => {
                        ready = false;
                        reason
                    }
                };
                (name.into(), text)
            })
            .collect();
        Self {
            status: if ready { "ready" } else { "unready" },
            checks,
        }
    }

    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

impl IntoResponse for Report {
    fn into_response(self) -> Response {
        let status = if self.is_ready() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (status, Json(self)).into_response()
    }
}

/// Routes for `/healthz`, `/readyz` and `/metrics`.
pub fn router(readiness: Readiness) -> Router {
    crate::metrics::router()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let readiness = readiness.clone();
                async move { readiness.evaluate().await }
            }),
        )
}

/// Serves `router` on `addr` until shutdown; returns the bound address through `bound`.
pub async fn serve(
    addr: SocketAddr,
    router: Router,
    shutdown: Shutdown,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await
    });
    Ok((local, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_service_is_unready_until_it_reports_and_names_what_fails() {
        let readiness = Readiness::default();
        assert_eq!(readiness.evaluate().await.checks["worker"], "starting");
        readiness.probe("postgres", || async { Ok(()) });
        readiness.probe("clickhouse", || async {
            Err("unreachable: refused".into())
        });
        readiness.report("partitions", Ok(()));
        let report = readiness.evaluate().await;
        assert_eq!(report.status, "unready");
        assert_eq!(report.checks["postgres"], "ok");
        assert_eq!(report.checks["clickhouse"], "unreachable: refused");
        assert_eq!(report.checks["partitions"], "ok");
        assert!(!report.checks.contains_key("worker"));
    }

    #[tokio::test]
    async fn a_service_whose_checks_all_pass_is_ready() {
        let readiness = Readiness::default();
        readiness.probe("postgres", || async { Ok(()) });
        readiness.set(true);
        let report = readiness.evaluate().await;
        assert!(report.is_ready(), "{report:?}");
        assert!(readiness.is_ready());
        let response = report.into_response();
        assert_eq!(response.status(), StatusCode::OK);
    }
}
