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
    /// The per-caller command rate limit, `None` when off (see [`CommandRateLimit::from_env`]).
    pub command_rate: Option<CommandRateLimit>,
    /// Header in which a trusted reverse proxy passes the client's address
    /// (`AGORA_CLIENT_IP_HEADER`, e.g. `X-Real-IP`; default none: the connecting address). Set
    /// it only when every request comes through that proxy, which overwrites the header: anyone
    /// reaching the API directly could write it.
    pub client_ip_header: Option<axum::http::HeaderName>,
}

/// A token bucket per caller over every command route (not the probes, metrics or docs).
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `AGORA_COMMAND_RATE_PER_SECOND` | `50` outside dev mode, `0` (off) with `AGORA_DEV=1` | sustained requests per second per caller; `0` turns the limit off |
/// | `AGORA_COMMAND_BURST` | twice the rate | requests a caller may send at once after being idle |
///
/// A caller is the subject of a valid bearer token, else the client address. Off in dev mode
/// because the test suite and the benchmark drive thousands of commands per second from a few
/// tokens; a deployment (`AGORA_DEV=0`) gets it unless it sets the rate to `0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommandRateLimit {
    /// Tokens added to a caller's bucket per second.
    pub per_second: f64,
    /// The bucket's size.
    pub burst: u32,
}

impl CommandRateLimit {
    /// Default sustained rate outside dev mode: far above what a person or a shop front-end
    /// sends for one account, low enough that one caller cannot monopolise an instance.
    pub const DEFAULT_PER_SECOND: f64 = 50.0;

    /// Reads the limit; `None` when the rate is `0`.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let default_rate = if dev_mode() {
            0.0
        } else {
            Self::DEFAULT_PER_SECOND
        };
        let per_second: f64 = env_parse("AGORA_COMMAND_RATE_PER_SECOND", default_rate)?;
        if !per_second.is_finite() || per_second < 0.0 {
            return Err(ConfigError {
                name: "AGORA_COMMAND_RATE_PER_SECOND".into(),
                value: per_second.to_string(),
                reason: "must be a finite number >= 0 (0 turns the limit off)".into(),
            });
        }
        if per_second == 0.0 {
            return Ok(None);
        }
        // Saturating float-to-int conversion; at least one request must always fit.
        let default_burst = ((per_second * 2.0).ceil() as u32).max(1);
        let burst: u32 = env_parse("AGORA_COMMAND_BURST", default_burst)?;
        if burst == 0 {
            return Err(ConfigError {
                name: "AGORA_COMMAND_BURST".into(),
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(Some(Self { per_second, burst }))
    }
}

/// Reads `AGORA_CLIENT_IP_HEADER`.
fn client_ip_header() -> Result<Option<axum::http::HeaderName>, ConfigError> {
    let raw = env_string("AGORA_CLIENT_IP_HEADER", "");
    if raw.trim().is_empty() {
        return Ok(None);
    }
    axum::http::HeaderName::from_bytes(raw.trim().as_bytes())
        .map(Some)
        .map_err(|error| ConfigError {
            name: "AGORA_CLIENT_IP_HEADER".into(),
            value: raw.clone(),
            reason: error.to_string(),
        })
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
            command_rate: CommandRateLimit::from_env()?,
            client_ip_header: client_ip_header()?,
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
