//! Running the saga: read every partition, fold, react, emit, checkpoint; until shutdown.
//!
//! One loop owns the reader, the view, the provider and the producer. Per batch of log items:
//! fold each counted event into the view and, past the stored checkpoint, collect its
//! reactions; settle provider calls (retrying transient errors with backoff); produce every
//! command to its stream's partition of `agora.commands` and await all acks; only then store
//! the batch's positions. A crash anywhere repeats commands with the same ids, never skips one.
//! On a log epoch without checkpoints (genesis, restore) the loop starts only after
//! [`catch_up`] folded the log to its end and reconciled the checkouts in flight; with
//! checkpoints, only after [`resume`] folded every partition up to its own.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use super::{
    checkpoint,
    provider::SimulatedProvider,
    reactions::{self, ProviderCall, Reaction, Rules},
    view::View,
};
use rdkafka::error::KafkaError;
use runtime::{
    config::{ConfigError, KafkaConfig, env_millis, env_parse, env_string},
    health::Readiness,
    log::{LogItem, LogReader, PartitionStart, Position},
    shutdown::Shutdown,
};

mod catch_up;
mod emit;
mod records;
mod resume;

use self::records::{count_outcome, read_events, record_span};

use self::emit::{Emitter, Traced};

/// Largest batch of log items handled at once.
const MAX_BATCH: usize = 500;

/// Tries at preparing the database (migrations) before giving up at startup, a second apart.
const STARTUP_ATTEMPTS: u32 = 30;

/// Settings of the saga, from the environment.
#[derive(Debug, Clone)]
pub struct SagaConfig {
    /// Broker settings.
    pub kafka: KafkaConfig,
    /// Postgres holding `saga_checkpoints` (`DATABASE_URL`).
    pub database_url: String,
    /// Health endpoint (`AGORA_HEALTH_ADDR`, default `127.0.0.1:9103`).
    pub health_addr: SocketAddr,
    /// How long a reservation holds stock for an unpaid order (`AGORA_RESERVATION_TTL_MS`,
    /// default 900000 = 15 min).
    pub reservation_ttl: Duration,
    /// Provider calls tried before a transient error fails the payment
    /// (`AGORA_PROVIDER_ATTEMPTS`, default 3).
    pub provider_attempts: u32,
    /// Pause before the first retry, doubled each time (`AGORA_PROVIDER_BACKOFF_MS`, default 100).
    pub provider_backoff: Duration,
}

impl SagaConfig {
    /// Reads the settings.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kafka: KafkaConfig::from_env()?,
            database_url: env_string("DATABASE_URL", crate::db::DEFAULT_DATABASE_URL),
            health_addr: env_parse(
                "AGORA_HEALTH_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 9103)),
            )?,
            reservation_ttl: env_millis("AGORA_RESERVATION_TTL_MS", Duration::from_secs(15 * 60))?,
            provider_attempts: env_parse("AGORA_PROVIDER_ATTEMPTS", 3u32)?.max(1),
            provider_backoff: env_millis("AGORA_PROVIDER_BACKOFF_MS", Duration::from_millis(100))?,
        })
    }
}

/// Why the saga stopped.
#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    /// Reading the log failed.
    #[error(transparent)]
    Read(#[from] runtime::log::LogReadError),
    /// The broker refused a command or a look-up.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// Postgres failed (checkpoints).
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// The schema could not be migrated.
    #[error("migrating: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The topics or the log epoch could not be read.
    #[error(transparent)]
    Topics(#[from] runtime::topics::TopicsError),
    /// The broker holds no Agora log yet.
    #[error("the broker holds no Agora log yet: run `agora-admin topics`")]
    NoLog,
    /// A command could not be serialized (a bug).
    #[error("serializing a command: {0}")]
    Json(#[from] serde_json::Error),
    /// A blocking task of the startup (reading the log's ends) died.
    #[error("a startup task failed")]
    Startup,
    /// The reservation TTL does not fit a timestamp.
    #[error("AGORA_RESERVATION_TTL_MS is out of range")]
    Ttl,
}

/// Runs the saga until `shutdown`; finishes the batch in hand first.
pub async fn run(
    config: &SagaConfig,
    readiness: Readiness,
    shutdown: Shutdown,
) -> Result<(), SagaError> {
    // A small pool with a patient acquire: the saga needs one connection at a time, and a busy
    // database must slow it down, not stop it.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(30))
        .connect_lazy(&config.database_url)?;
    let log_epoch = runtime::topics::read_log_epoch(&config.kafka)
        .await?
        .ok_or(SagaError::NoLog)?
        .log_epoch;
    let topics = config.kafka.topics();
    let partitions = runtime::kafka::partition_count(&config.kafka, &topics.events)?;
    let stored = prepare(&pool, log_epoch, &shutdown).await?;
    // The view is always folded from the start of every partition.
    let starts: Vec<PartitionStart> = (0..partitions).map(PartitionStart::beginning).collect();
    let mut saga = Saga {
        reader: LogReader::open(&config.kafka, &topics.events, &starts)?,
        view: View::default(),
        rules: Rules {
            reservation_ttl: chrono::Duration::from_std(config.reservation_ttl)
                .map_err(|_| SagaError::Ttl)?,
        },
        provider: SimulatedProvider::new(),
        emitter: Emitter {
            producer: runtime::kafka::producer(&config.kafka)?,
            topic: topics.commands.clone(),
            partitions: runtime::kafka::partition_count(&config.kafka, &topics.commands)?,
        },
        react_from: HashMap::new(),
        attempts: config.provider_attempts,
        backoff: config.provider_backoff,
    };
    tracing::info!(%log_epoch, partitions, checkpoints = stored.len(), "checkout saga started");
    readiness.probe_broker(&config.kafka, topics.events.clone());
    readiness.probe("postgres", {
        let pool = pool.clone();
        move || {
            let pool = pool.clone();
            async move { crate::db::answers(&pool).await }
        }
    });
    readiness.set(true);
    let mut pending: HashMap<i32, Position> = HashMap::new();
    if stored.is_empty() {
        // No position in this log (genesis, or a restore): fold it to its end without
        // reacting, re-emit only what checkouts in flight still need, and go live from there.
        let ends = catch_up::log_ends(&config.kafka, &topics.events, partitions).await?;
        match saga.catch_up(&ends, &shutdown).await? {
            Some(positions) => {
                // Stored now, not after the first live batch: a stop before that would
                // otherwise repeat the whole reconciliation (harmlessly, but needlessly).
                match checkpoint::store(&pool, log_epoch, &positions).await {
                    Ok(()) => {}
                    Err(error) => {
                        tracing::warn!(%error, "could not store saga checkpoints; will retry");
                        pending.extend(positions);
                    }
                }
            }
            None => {
                readiness.set(false);
                tracing::info!("checkout saga stopped before reaching the end of the log");
                return Ok(());
            }
        }
    } else {
        // Reactions start at the checkpoints; what comes before is only folded.
        saga.react_from = (0..partitions)
            .map(|p| (p, stored.get(&p).map_or(0, |pos| pos.next_offset)))
            .collect();
        match saga.resume(&shutdown).await? {
            Some(positions) => pending.extend(positions),
            None => {
                readiness.set(false);
                tracing::info!("checkout saga stopped before reaching its checkpoints");
                return Ok(());
            }
        }
    }
    loop {
        let batch = tokio::select! {
            () = shutdown.wait() => break,
            batch = saga.reader.poll_batch(MAX_BATCH, Duration::from_millis(20), Duration::from_millis(500)) => batch?,
        };
        if !batch.is_empty() {
            pending.extend(saga.handle(&batch).await?);
        }
        if pending.is_empty() {
            continue;
        }
        // A failed store only delays the checkpoint (positions only move forward and the
        // commands are already acknowledged): keep the positions and store them next time.
        let positions: Vec<(i32, Position)> = pending.iter().map(|(p, pos)| (*p, *pos)).collect();
        match checkpoint::store(&pool, log_epoch, &positions).await {
            Ok(()) => pending.clear(),
            Err(error) => tracing::warn!(%error, "could not store saga checkpoints; will retry"),
        }
    }
    readiness.set(false);
    tracing::info!("checkout saga stopped");
    Ok(())
}

/// Migrates `saga_checkpoints` and loads the positions, retrying while the database is busy or
/// starting (up to [`STARTUP_ATTEMPTS`] times, a second apart).
async fn prepare(
    pool: &sqlx::PgPool,
    log_epoch: uuid::Uuid,
    shutdown: &Shutdown,
) -> Result<HashMap<i32, Position>, SagaError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = async {
            crate::db::MIGRATOR.run(pool).await?;
            Ok::<_, SagaError>(checkpoint::load(pool, log_epoch).await?)
        }
        .await;
        match result {
            Err(error) if attempt < STARTUP_ATTEMPTS && !shutdown.is_triggered() => {
                tracing::warn!(attempt, %error, "saga database not ready; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            other => return other,
        }
    }
}

struct Saga {
    reader: LogReader,
    view: View,
    rules: Rules,
    provider: SimulatedProvider,
    emitter: Emitter,
    react_from: HashMap<i32, i64>,
    attempts: u32,
    backoff: Duration,
}

impl Saga {
    /// Folds and reacts to `batch`, emits its commands, and returns the positions to store.
    async fn handle(&mut self, batch: &[LogItem]) -> Result<Vec<(i32, Position)>, SagaError> {
        let mut reactions = Vec::new();
        let mut touched = Vec::new();
        for item in batch {
            if !touched.contains(&item.partition) {
                touched.push(item.partition);
            }
            let live = item.offset >= self.react_from.get(&item.partition).copied().unwrap_or(0);
            // Live records get a span continuing the trace of the command that wrote them;
            // the commands they cause carry its context on.
            let span = if live {
                record_span(item)
            } else {
                tracing::Span::none()
            };
            let _in_span = span.enter();
            let trace = runtime::trace_context::outgoing(&span, item.traceparent.as_deref());
            for (cause, event) in read_events(item) {
                self.view.apply(&event);
                if live {
                    count_outcome(&event);
                    reactions.extend(
                        reactions::react(&cause, &event, &self.view, &self.rules)
                            .into_iter()
                            .map(|reaction| (reaction, trace.clone())),
                    );
                }
            }
        }
        let commands = self.perform(reactions).await?;
        if commands > 0 {
            tracing::debug!(commands, "saga commands acknowledged");
        }
        let mut positions = Vec::new();
        for partition in touched {
            if let Some(position) = self.reader.position(partition) {
                let from = self.react_from.entry(partition).or_insert(0);
                if position.next_offset > *from {
                    *from = position.next_offset;
                    positions.push((partition, position));
                }
            }
        }
        Ok(positions)
    }

    /// Settles provider calls, logs escalations, emits the commands and waits for their acks;
    /// returns how many commands were emitted.
    async fn perform(
        &self,
        reactions: Vec<(Reaction, Option<String>)>,
    ) -> Result<usize, SagaError> {
        let mut commands = Vec::with_capacity(reactions.len());
        for (reaction, trace) in reactions {
            let reaction = match reaction {
                Reaction::Call(call) => self.settle(&call).await,
                other => other,
            };
            match reaction {
                Reaction::Send(envelope) => commands.push(Traced {
                    envelope,
                    traceparent: trace,
                }),
                Reaction::Escalate(escalation) => tracing::error!(
                    order.id = ?escalation.order_id,
                    stream = %escalation.stream,
                    reason = escalation.reason,
                    detail = %escalation.detail,
                    "checkout needs attention"
                ),
                Reaction::Call(_) => {}
            }
        }
        if !commands.is_empty() {
            self.emitter.emit(&commands).await?;
        }
        Ok(commands.len())
    }

    /// Calls the provider, retrying transient errors with doubling backoff.
    async fn settle(&self, call: &ProviderCall) -> Reaction {
        let mut pause = self.backoff;
        let mut attempt = 1;
        loop {
            match self.provider.call(&call.idempotency_key, &call.request) {
                Ok(answer) => return reactions::settle(call, Ok(answer)),
                Err(error) if attempt >= self.attempts => {
                    tracing::warn!(payment.id = %call.payment_id, attempt, %error, "payment provider failed; giving up");
                    return reactions::settle(call, Err(error));
                }
                Err(error) => {
                    tracing::info!(payment.id = %call.payment_id, attempt, %error, "payment provider failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause = pause.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }
}
