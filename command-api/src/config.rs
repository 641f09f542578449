//! Settings of the command API and the processors, from the environment.

use std::{net::SocketAddr, time::Duration};

use runtime::config::{ConfigError, KafkaConfig, dev_mode, env_millis, env_parse, env_string};

/// Settings of the HTTP command API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Listen address (`AGORA_COMMAND_ADDR`, default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// Broker settings.
    pub kafka: KafkaConfig,
    /// How long a request waits for its command's reply before answering 202
    /// (`AGORA_COMMAND_TIMEOUT_MS`, default 5000).
    pub reply_timeout: Duration,
    /// HS256 secret for access tokens (`AGORA_JWT_SECRET`; required unless `AGORA_DEV=1`).
    pub jwt_secret: String,
    /// Largest accepted request body in bytes (`AGORA_MAX_BODY_BYTES`, default 262144).
    pub max_body_bytes: usize,
    /// Postgres holding the read models the API looks prices and carts up in, and the API's
    /// own tables (`DATABASE_URL`).
    pub database_url: String,
}

impl ApiConfig {
    /// Reads the settings; refuses to run without a JWT secret outside dev mode.
    pub fn from_env() -> Result<Self, ConfigError> {
        let secret = env_string("AGORA_JWT_SECRET", "");
        let jwt_secret = if !secret.is_empty() {
            secret
        } else if dev_mode() {
            crate::auth::DEV_SECRET.to_string()
        } else {
            return Err(ConfigError {
                name: "AGORA_JWT_SECRET".into(),
                value: String::new(),
                reason: "required outside dev mode (set AGORA_DEV=1 for local runs)".into(),
            });
        };
        Ok(Self {
            addr: env_parse(
                "AGORA_COMMAND_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            kafka: KafkaConfig::from_env()?,
            reply_timeout: env_millis("AGORA_COMMAND_TIMEOUT_MS", Duration::from_secs(5))?,
            jwt_secret,
            max_body_bytes: env_parse("AGORA_MAX_BODY_BYTES", 256 * 1024)?,
            database_url: env_string("DATABASE_URL", crate::db::DEFAULT_DATABASE_URL),
        })
    }
}

/// Settings of a command processor.
#[derive(Debug, Clone)]
pub struct ProcessorConfig {
    /// Broker settings.
    pub kafka: KafkaConfig,
    /// Health endpoint address (`AGORA_HEALTH_ADDR`, default `127.0.0.1:9101`).
    pub health_addr: SocketAddr,
    /// Fault injection for tests and chaos runs: a pause between deciding a batch and appending
    /// it (`AGORA_FAULT_APPEND_DELAY_MS`, default 0). Widens the window in which a processor can
    /// be frozen holding a batch, to prove its late writes never count.
    pub append_delay: Duration,
}

impl ProcessorConfig {
    /// Reads the settings.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kafka: KafkaConfig::from_env()?,
            health_addr: env_parse(
                "AGORA_HEALTH_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 9101)),
            )?,
            append_delay: env_millis("AGORA_FAULT_APPEND_DELAY_MS", Duration::ZERO)?,
        })
    }
}
