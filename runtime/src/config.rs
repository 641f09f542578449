//! Configuration from environment variables with documented defaults.
//!
//! Every service reads its settings here, so names and defaults live in one place and the
//! README's configuration table can be checked against this file.

use std::{str::FromStr, time::Duration};

/// A setting that is present but cannot be parsed.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    /// Variable name.
    pub name: String,
    /// Raw value.
    pub value: String,
    /// Why it was refused.
    pub reason: String,
}

/// Reads `name`, falling back to `default` when unset or empty.
pub fn env_string(name: &str, default: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => default.to_string(),
    }
}

/// Reads and parses `name`, falling back to `default` when unset or empty.
pub fn env_parse<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value.trim().parse::<T>().map_err(|error| ConfigError {
                name: name.to_string(),
                value,
                reason: error.to_string(),
            })
        }
        _ => Ok(default),
    }
}

/// Reads a duration given in milliseconds.
pub fn env_millis(name: &str, default: Duration) -> Result<Duration, ConfigError> {
    let millis = env_parse::<u64>(name, default.as_millis() as u64)?;
    Ok(Duration::from_millis(millis))
}

/// Whether the process runs in local development mode (`AGORA_DEV=1`), which allows dev-only
/// defaults such as a well-known JWT secret. Never set it in production.
pub fn dev_mode() -> bool {
    matches!(env_string("AGORA_DEV", "0").as_str(), "1" | "true" | "yes")
}

/// Where the Kafka-compatible broker is and how topics are named.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// Bootstrap servers, e.g. `127.0.0.1:9092` (`AGORA_KAFKA_BROKERS`).
    pub brokers: String,
    /// Prefix for every topic name (`AGORA_TOPIC_PREFIX`); tests use it as a namespace.
    pub topic_prefix: String,
    /// Partitions created for `commands` and `events` (`AGORA_PARTITIONS`); read back from
    /// metadata afterwards, never assumed.
    pub partitions: i32,
    /// Consumer group session timeout (`AGORA_KAFKA_SESSION_TIMEOUT_MS`).
    pub session_timeout: Duration,
}

impl KafkaConfig {
    /// Reads the Kafka settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            brokers: env_string("AGORA_KAFKA_BROKERS", "127.0.0.1:9092"),
            topic_prefix: env_string("AGORA_TOPIC_PREFIX", ""),
            partitions: env_parse("AGORA_PARTITIONS", 4)?,
            session_timeout: env_millis("AGORA_KAFKA_SESSION_TIMEOUT_MS", Duration::from_secs(6))?,
        })
    }

    /// The topic names under this configuration's prefix.
    pub fn topics(&self) -> Topics {
        Topics::with_prefix(&self.topic_prefix)
    }
}

/// Topic names, all under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// Every command, keyed by target stream.
    pub commands: String,
    /// The event log: commits, rejections and ownership markers. Kept forever.
    pub events: String,
    /// Outcomes of commands, keyed by command id.
    pub replies: String,
    /// Records a consumer could not handle, with their origin.
    pub dlq: String,
    /// Cluster metadata such as the log epoch.
    pub meta: String,
}

impl Topics {
    /// Topic names under `prefix` (empty for production names).
    pub fn with_prefix(prefix: &str) -> Self {
        let name = |base: &str| format!("{prefix}agora.{base}");
        Self {
            commands: name("commands"),
            events: name("events"),
            replies: name("replies"),
            dlq: name("dlq"),
            meta: name("meta"),
        }
    }
}

/// `url` (a Postgres URL) pointing at `database` instead, with its options kept: how test
/// namespaces and benchmark runs reach the private database they create beside the server's
/// admin database.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod with_database_tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced_and_its_options_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres?sslmode=disable", "bench_x"),
            "postgres://u@h:5432/bench_x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres", "b"),
            "postgres://u@h/b"
        );
    }
}
