//! Settings of `agora-query-api`, read from the environment with documented defaults.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `AGORA_QUERY_ADDR` | `127.0.0.1:8090` | where GraphQL and the health routes are served |
//! | `DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/agora?sslmode=disable` | read models |
//! | `AGORA_PG_SCHEMA` | `public` | Postgres schema the projectors write the read models into |
//! | `AGORA_QUERY_PG_POOL` | `10` | most Postgres connections |
//! | `AGORA_QUERY_PG_ACQUIRE_TIMEOUT_MS` | `5000` | longest wait for a pool connection |
//! | `AGORA_QUERY_STATEMENT_TIMEOUT_MS` | `5000` | Postgres `statement_timeout` per statement |
//! | `AGORA_GRAPHIQL` | on when `AGORA_DEV=1`, else off | serve GraphiQL on `GET /graphql` |
//! | `AGORA_GRAPHQL_MAX_DEPTH` | `12` | deepest selection a query may have |
//! | `AGORA_GRAPHQL_MAX_COMPLEXITY` | `10000` | most complexity points a query may cost |

use std::{net::SocketAddr, time::Duration};

use runtime::config::{ConfigError, dev_mode, env_millis, env_parse, env_string};

/// Default Postgres database, the one `infra/stack` and the projectors use.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/agora?sslmode=disable";

/// Everything the query service needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address (`AGORA_QUERY_ADDR`); port 0 picks a free port (tests).
    pub addr: SocketAddr,
    /// Postgres database of the read models (`DATABASE_URL`).
    pub database_url: String,
    /// Postgres schema of the read models (`AGORA_PG_SCHEMA`), set as the `search_path`.
    pub pg_schema: String,
    /// Pool size (`AGORA_QUERY_PG_POOL`).
    pub pg_max_connections: u32,
    /// Longest wait for a pooled connection before a query fails
    /// (`AGORA_QUERY_PG_ACQUIRE_TIMEOUT_MS`).
    pub pg_acquire_timeout: Duration,
    /// Server-side limit on one statement (`AGORA_QUERY_STATEMENT_TIMEOUT_MS`).
    pub statement_timeout: Duration,
    /// Whether `GET /graphql` serves GraphiQL (`AGORA_GRAPHIQL`, default: dev mode).
    pub graphiql: bool,
    /// Limits on what one query may ask for.
    pub limits: Limits,
}

/// Limits enforced while validating a query, before any resolver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest selection set (`AGORA_GRAPHQL_MAX_DEPTH`).
    pub max_depth: usize,
    /// Most complexity points (`AGORA_GRAPHQL_MAX_COMPLEXITY`): one per field, lists multiplied
    /// by their page size (see `schema`).
    pub max_complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 10_000,
        }
    }
}

impl Config {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Limits::default();
        Ok(Self {
            addr: env_parse("AGORA_QUERY_ADDR", SocketAddr::from(([127, 0, 0, 1], 8090)))?,
            database_url: env_string("DATABASE_URL", DEFAULT_DATABASE_URL),
            pg_schema: env_string("AGORA_PG_SCHEMA", "public"),
            pg_max_connections: env_parse("AGORA_QUERY_PG_POOL", 10u32)?.max(1),
            pg_acquire_timeout: env_millis(
                "AGORA_QUERY_PG_ACQUIRE_TIMEOUT_MS",
                Duration::from_secs(5),
            )?,
            statement_timeout: env_millis(
                "AGORA_QUERY_STATEMENT_TIMEOUT_MS",
                Duration::from_secs(5),
            )?,
            graphiql: env_flag("AGORA_GRAPHIQL", dev_mode())?,
            limits: Limits {
                max_depth: env_parse("AGORA_GRAPHQL_MAX_DEPTH", defaults.max_depth)?,
                max_complexity: env_parse("AGORA_GRAPHQL_MAX_COMPLEXITY", defaults.max_complexity)?,
            },
        })
    }

    /// Settings for `database_url` with every other setting at its default, GraphiQL off and
    /// port 0 (tests, tools).
    pub fn for_database(database_url: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_string(),
            pg_schema: "public".to_string(),
            pg_max_connections: 5,
            pg_acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            graphiql: false,
            limits: Limits::default(),
        }
    }
}

/// Reads an on/off setting (`1/true/yes/on`, `0/false/no/off`), `default` when unset or empty.
fn env_flag(name: &str, default: bool) -> Result<bool, ConfigError> {
    let raw = env_string(name, "");
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(default),
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError {
            name: name.to_string(),
            value: raw,
            reason: "expected 1/true/yes/on or 0/false/no/off".to_string(),
        }),
    }
}
