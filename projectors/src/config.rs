//! Settings of `agora-projector`, read from the environment with documented defaults.

use std::{net::SocketAddr, time::Duration};

use runtime::config::{ConfigError, KafkaConfig, env_millis, env_parse, env_string};

use crate::membership::default_group;

/// Everything the projector needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Broker and topic names (`AGORA_KAFKA_BROKERS`, `AGORA_TOPIC_PREFIX`, …).
    pub kafka: KafkaConfig,
    /// Postgres database of the read models (`DATABASE_URL`); `migrate` creates it if missing.
    pub database_url: String,
    /// Postgres schema the read models live in (`AGORA_PG_SCHEMA`, default `public`).
    pub pg_schema: String,
    /// ClickHouse HTTP endpoint (`CLICKHOUSE_URL`, default `http://127.0.0.1:8123`).
    pub clickhouse_url: String,
    /// ClickHouse database of the facts (`CLICKHOUSE_DATABASE`, default `agora`).
    pub clickhouse_database: String,
    /// Where `/healthz` and `/readyz` are served (`AGORA_HEALTH_ADDR`, default `127.0.0.1:9102`).
    pub health_addr: SocketAddr,
    /// Batch tuning (`AGORA_PROJECTOR_BATCH_MAX`, `AGORA_PROJECTOR_LINGER_MS`,
    /// `AGORA_PROJECTOR_IDLE_MS`).
    pub batch: BatchConfig,
    /// The notifications reactor's mail settings (`AGORA_SMTP_URL`, `AGORA_MAIL_FROM`, …).
    pub mail: MailConfig,
    /// Consumer group that spreads the events topic's partitions over the replicas of this
    /// deployment (`AGORA_PROJECTOR_GROUP`, default `<topic prefix>agora-projectors`). Replicas
    /// writing the same stores must share it; a deployment with other stores needs its own.
    pub group: String,
}

/// Where and how the notifications reactor sends e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct MailConfig {
    /// SMTP server, e.g. `smtp://127.0.0.1:2525` (`AGORA_SMTP_URL`; `smtp://user:pass@host:port`
    /// for a relay that wants a login). Unset or empty: nothing is sent, notifications stay
    /// pending in the outbox until a projector with a server runs.
    pub smtp_url: Option<String>,
    /// Sender (`AGORA_MAIL_FROM`, default `Agora <no-reply@agora.local>`).
    pub from: String,
    /// Staff address for low-stock mails (`AGORA_STAFF_EMAIL`, default `staff@agora.local`).
    pub staff_email: String,
    /// Attempts before a notification is marked failed (`AGORA_SMTP_MAX_ATTEMPTS`, default 12,
    /// about two hours of backoff).
    pub max_attempts: u32,
    /// Events older than this when the reactor first sees them are recorded as skipped, not
    /// sent (`AGORA_NOTIFY_MAX_AGE_SECS`, default one day): a reactor deployed onto an old log
    /// does not mail last year's orders.
    pub max_age: Duration,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Agora <no-reply@agora.local>".into(),
            staff_email: "staff@agora.local".into(),
            max_attempts: 12,
            max_age: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl MailConfig {
    /// Reads the mail settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let smtp_url = env_string("AGORA_SMTP_URL", "");
        Ok(Self {
            smtp_url: (!smtp_url.trim().is_empty()).then(|| smtp_url.trim().to_string()),
            from: env_string("AGORA_MAIL_FROM", &defaults.from),
            staff_email: env_string("AGORA_STAFF_EMAIL", &defaults.staff_email),
            max_attempts: env_parse("AGORA_SMTP_MAX_ATTEMPTS", defaults.max_attempts)?.max(1),
            max_age: Duration::from_secs(env_parse(
                "AGORA_NOTIFY_MAX_AGE_SECS",
                defaults.max_age.as_secs(),
            )?),
        })
    }
}

/// How records are grouped into one transaction.
#[derive(Debug, Clone, Copy)]
pub struct BatchConfig {
    /// Most records per batch (default 5000: the replay benchmark rebuilt 30-45% faster than
    /// with 1000; live batches are bounded by the linger long before this).
    pub max_records: usize,
    /// How long to wait for more records once one arrived (default 20 ms).
    pub linger: Duration,
    /// How long to wait for a first record before checking for shutdown (default 250 ms).
    pub idle: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_records: 5000,
            linger: Duration::from_millis(20),
            idle: Duration::from_millis(250),
        }
    }
}

/// Default Postgres database, matching `infra/stack`.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/agora?sslmode=disable";

impl Config {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = BatchConfig::default();
        let health_addr = env_parse(
            "AGORA_HEALTH_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 9102)),
        )?;
        let kafka = KafkaConfig::from_env()?;
        Ok(Self {
            database_url: env_string("DATABASE_URL", DEFAULT_DATABASE_URL),
            pg_schema: env_string("AGORA_PG_SCHEMA", "public"),
            clickhouse_url: env_string("CLICKHOUSE_URL", "http://127.0.0.1:8123"),
            clickhouse_database: env_string("CLICKHOUSE_DATABASE", "agora"),
            health_addr,
            batch: BatchConfig {
                max_records: env_parse("AGORA_PROJECTOR_BATCH_MAX", defaults.max_records)?.max(1),
                linger: env_millis("AGORA_PROJECTOR_LINGER_MS", defaults.linger)?,
                idle: env_millis("AGORA_PROJECTOR_IDLE_MS", defaults.idle)?,
            },
            mail: MailConfig::from_env()?,
            group: env_string("AGORA_PROJECTOR_GROUP", &default_group(&kafka)),
            kafka,
        })
    }

    /// Settings for the given stores with every other setting at its default (tests, tools).
    pub fn new(
        kafka: KafkaConfig,
        database_url: &str,
        clickhouse_url: &str,
        clickhouse_database: &str,
    ) -> Self {
        Self {
            database_url: database_url.to_string(),
            pg_schema: "public".to_string(),
            clickhouse_url: clickhouse_url.to_string(),
            clickhouse_database: clickhouse_database.to_string(),
            health_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            batch: BatchConfig::default(),
            mail: MailConfig::default(),
            group: default_group(&kafka),
            kafka,
        }
    }
}
