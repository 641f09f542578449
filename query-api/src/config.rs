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
//! | `AGORA_GRAPHQL_INTROSPECTION` | as `AGORA_GRAPHIQL` (on when `AGORA_DEV=1`, else off) | answer `__schema` and `__type` (at most 4 per operation; see `schema::introspection`) |
//! | `AGORA_GRAPHQL_CACHE_ENTRIES` | `1024` | answers of anonymous catalog reads kept per data version (`response_cache`); `0` turns the cache off |
//! | `AGORA_CONSISTENCY_WAIT_MS` | `2000` | longest a request with a consistency token waits for the projections (then answers `stale`) |
//! | `AGORA_JWT_SECRET` | none; the dev secret when `AGORA_DEV=1` | HS256 secret of access tokens (command-api's) |
//! | `CLICKHOUSE_URL` | `http://127.0.0.1:8123` | ClickHouse HTTP endpoint (sales analytics) |
//! | `CLICKHOUSE_DATABASE` | `agora` | ClickHouse database of the sales facts |

use std::{net::SocketAddr, time::Duration};

use runtime::config::{ConfigError, dev_mode, env_millis, env_parse, env_string};

/// Default Postgres database, the one `infra/stack` and the projectors use.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/agora?sslmode=disable";

/// Default bound on read-your-writes waits.
pub const DEFAULT_CONSISTENCY_WAIT: Duration = Duration::from_secs(2);

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
    /// Most answers the response cache keeps (`AGORA_GRAPHQL_CACHE_ENTRIES`; 0: no cache).
    pub response_cache_entries: usize,
    /// Longest a request carrying a consistency token waits for the projections it reads
    /// (`AGORA_CONSISTENCY_WAIT_MS`); past it the answer is flagged stale.
    pub consistency_wait: Duration,
    /// HS256 secret access tokens are signed with (`AGORA_JWT_SECRET`); never logged.
    pub jwt_secret: String,
    /// ClickHouse HTTP endpoint (`CLICKHOUSE_URL`).
    pub clickhouse_url: String,
    /// ClickHouse database of the sales facts (`CLICKHOUSE_DATABASE`).
    pub clickhouse_database: String,
}

/// Limits enforced while validating a query, before any resolver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest selection set (`AGORA_GRAPHQL_MAX_DEPTH`).
    pub max_depth: usize,
    /// Most complexity points (`AGORA_GRAPHQL_MAX_COMPLEXITY`): one per field, lists multiplied
    /// by their page size (see `schema`).
    pub max_complexity: usize,
    /// Whether introspection (`__schema`, `__type`) is answered (`AGORA_GRAPHQL_INTROSPECTION`,
    /// default: whether GraphiQL is served, which needs it). The schema is public in the
    /// repository (`schema.graphql`), so production loses nothing by refusing it, and a flood
    /// of introspection fields cannot cost the service anything. `Default` has it on, for tests
    /// and tools.
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 10_000,
            introspection: true,
        }
    }
}

impl Config {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Limits::default();
        let graphiql = env_flag("AGORA_GRAPHIQL", dev_mode())?;
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
            graphiql,
            limits: Limits {
                max_depth: env_parse("AGORA_GRAPHQL_MAX_DEPTH", defaults.max_depth)?,
                max_complexity: env_parse("AGORA_GRAPHQL_MAX_COMPLEXITY", defaults.max_complexity)?,
                introspection: env_flag("AGORA_GRAPHQL_INTROSPECTION", graphiql)?,
            },
            response_cache_entries: env_parse("AGORA_GRAPHQL_CACHE_ENTRIES", 1024usize)?,
            consistency_wait: env_millis("AGORA_CONSISTENCY_WAIT_MS", DEFAULT_CONSISTENCY_WAIT)?,
            jwt_secret: jwt_secret()?,
            clickhouse_url: env_string("CLICKHOUSE_URL", DEFAULT_CLICKHOUSE_URL),
            clickhouse_database: env_string("CLICKHOUSE_DATABASE", "agora"),
        })
    }

    /// Settings for `database_url` with every other setting at its default (introspection on),
    /// GraphiQL off, no response cache (tests write read models directly, not the way the
    /// projectors do, so the data version would not see it), port 0 and the dev token secret
    /// (tests, tools).
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
            response_cache_entries: 0,
            consistency_wait: DEFAULT_CONSISTENCY_WAIT,
            jwt_secret: crate::auth::DEV_SECRET.to_string(),
            clickhouse_url: DEFAULT_CLICKHOUSE_URL.to_string(),
            clickhouse_database: "agora".to_string(),
        }
    }
}

/// Default ClickHouse endpoint, the one `infra/stack` runs.
pub const DEFAULT_CLICKHOUSE_URL: &str = "http://127.0.0.1:8123";

/// The token secret: `AGORA_JWT_SECRET`, else the published dev secret in dev mode only, so a
/// production deployment cannot come up accepting tokens anyone can mint.
fn jwt_secret() -> Result<String, ConfigError> {
    let secret = env_string("AGORA_JWT_SECRET", "");
    if !secret.is_empty() {
        Ok(secret)
    } else if dev_mode() {
        Ok(crate::auth::DEV_SECRET.to_string())
    } else {
        Err(ConfigError {
            name: "AGORA_JWT_SECRET".to_string(),
            value: String::new(),
            reason: "required outside dev mode (set AGORA_DEV=1 for local runs)".to_string(),
        })
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
