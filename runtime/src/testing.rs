//! Integration-test support: a private namespace per test on the real broker, Postgres and
//! ClickHouse, and helpers to run the service binaries as child processes.
//!
//! Each [`TestNamespace`] gets its own topic prefix, Postgres database and ClickHouse database,
//! so tests run in parallel without seeing each other's data. The stack itself comes from
//! `infra/stack up`; its addresses arrive through the same environment variables the services
//! read.
//!
//! When the last copy of a namespace is dropped its topics are deleted: the local broker keeps
//! every topic in memory, and a suite that leaves hundreds behind slows every later test
//! (measured: a flash sale took 35 s on a fresh broker and over 120 s late in the suite).

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use uuid::Uuid;

use crate::{
    config::{KafkaConfig, env_string},
    topics,
};

/// A private slice of the stack for one test.
#[derive(Debug, Clone)]
pub struct TestNamespace {
    /// Short unique name, used in topic prefixes and database names.
    pub name: String,
    /// Kafka settings with this namespace's topic prefix.
    pub kafka: KafkaConfig,
    /// URL of this namespace's own Postgres database.
    pub database_url: String,
    /// ClickHouse HTTP endpoint.
    pub clickhouse_url: String,
    /// This namespace's ClickHouse database.
    pub clickhouse_database: String,
    /// The log epoch written at the namespace's genesis.
    pub log_epoch: Uuid,
    /// Deletes the namespace's topics when the last copy of the namespace goes away.
    _topics_cleanup: Arc<TopicsCleanup>,
}

impl TestNamespace {
    /// Creates topics, a Postgres database and a ClickHouse database for one test.
    pub async fn create(label: &str) -> anyhow::Result<Self> {
        let suffix = Uuid::new_v4().simple().to_string();
        let name = format!("t_{}_{}", sanitize(label), &suffix[..10]);
        let mut kafka = KafkaConfig::from_env()?;
        kafka.topic_prefix = format!("{name}.");
        kafka.partitions = 4;
        kafka.session_timeout = Duration::from_millis(3000);
        let bootstrap = topics::ensure_topics(&kafka)
            .await
            .context("creating test topics (is `infra/stack up` running?)")?;

        let admin_url = env_string(
            "AGORA_PG_ADMIN_URL",
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
        );
        let database_url = crate::config::with_database(&admin_url, &name);
        {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&admin_url)
                .await
                .with_context(|| format!("connecting to Postgres at {admin_url}"))?;
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut admin)
                .await
                .context("creating the test database")?;
        }

        let clickhouse_url = env_string("CLICKHOUSE_URL", "http://127.0.0.1:8123");
        reqwest::Client::new()
            .post(&clickhouse_url)
            .body(format!("CREATE DATABASE IF NOT EXISTS {name}"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("creating ClickHouse database at {clickhouse_url}"))?;

        let topics_cleanup = Arc::new(TopicsCleanup {
            kafka: kafka.clone(),
            prefix: format!("{name}."),
        });
        Ok(Self {
            _topics_cleanup: topics_cleanup,
            clickhouse_database: name.clone(),
            name,
            kafka,
            database_url,
            clickhouse_url,
            log_epoch: bootstrap.epoch.log_epoch,
        })
    }

    /// Environment variables that point a service binary at this namespace.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AGORA_KAFKA_BROKERS".into(), self.kafka.brokers.clone()),
            ("AGORA_TOPIC_PREFIX".into(), self.kafka.topic_prefix.clone()),
            ("AGORA_PARTITIONS".into(), self.kafka.partitions.to_string()),
            (
                "AGORA_KAFKA_SESSION_TIMEOUT_MS".into(),
                self.kafka.session_timeout.as_millis().to_string(),
            ),
            ("DATABASE_URL".into(), self.database_url.clone()),
            ("CLICKHOUSE_URL".into(), self.clickhouse_url.clone()),
            (
                "CLICKHOUSE_DATABASE".into(),
                self.clickhouse_database.clone(),
            ),
            ("AGORA_DEV".into(), "1".into()),
            // Tests mail only where they say (a private `agora-mail-sink`), never the stack's
            // sink that `.stack/env` points at: empty means no SMTP server, mail stays queued.
            ("AGORA_SMTP_URL".into(), String::new()),
        ]
    }

    /// Starts a workspace binary with this namespace's environment plus `extra`.
    pub fn spawn(
        &self,
        binary: &str,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> anyhow::Result<ChildProcess> {
        let path = binary_path(binary);
        let mut command = Command::new(&path);
        command.args(args).envs(self.env());
        for (key, value) in extra {
            command.env(key, value);
        }
        if std::env::var("TEST_LOG").is_err() {
            command.env("RUST_LOG", "warn");
        }
        command.stdin(Stdio::null());
        let child = command.spawn().with_context(|| {
            format!(
                "starting {} (build it with `cargo build --workspace --bins`)",
                path.display()
            )
        })?;
        Ok(ChildProcess {
            name: binary.to_string(),
            child,
        })
    }
}

/// Deletes every topic whose name starts with a namespace's prefix (tests that derive a second
/// prefix from the namespace's, such as restores, are covered too).
///
/// Runs in `Drop`, so it blocks: the admin client's futures are driven by librdkafka's own
/// thread, which makes a plain `block_on` safe even inside a Tokio worker. Failures are
/// printed, never raised: a leftover topic costs memory, not correctness.
/// `AGORA_TEST_KEEP_TOPICS=1` keeps the topics for a post-mortem look.
#[derive(Debug)]
struct TopicsCleanup {
    kafka: KafkaConfig,
    prefix: String,
}

impl TopicsCleanup {
    fn delete_topics(&self) -> anyhow::Result<usize> {
        use rdkafka::{
            admin::{AdminClient, AdminOptions},
            client::DefaultClientContext,
        };
        let admin: AdminClient<DefaultClientContext> =
            crate::kafka::base_config(&self.kafka).create()?;
        let metadata = admin
            .inner()
            .fetch_metadata(None, Duration::from_secs(5))
            .context("listing topics")?;
        let names: Vec<String> = metadata
            .topics()
            .iter()
            .map(|topic| topic.name().to_string())
            .filter(|name| name.starts_with(&self.prefix))
            .collect();
        if names.is_empty() {
            return Ok(0);
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(5)));
        futures::executor::block_on(admin.delete_topics(&refs, &options))
            .context("deleting topics")?;
        Ok(names.len())
    }
}

impl Drop for TopicsCleanup {
    fn drop(&mut self) {
        if std::env::var("AGORA_TEST_KEEP_TOPICS").is_ok_and(|keep| keep == "1") {
            return;
        }
        if let Err(error) = self.delete_topics() {
            eprintln!(
                "test namespace {}: topics not deleted: {error:#}",
                self.prefix
            );
        }
    }
}

/// A running service binary, killed when dropped so failed tests leave nothing behind.
#[derive(Debug)]
pub struct ChildProcess {
    /// Binary name.
    pub name: String,
    /// The process.
    pub child: Child,
}

impl ChildProcess {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (`"KILL"`, `"STOP"`, `"CONT"`, `"TERM"`) through `kill(1)`.
    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .context("running kill")?;
        anyhow::ensure!(status.success(), "kill -{signal} {} failed", self.pid());
        Ok(())
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        self.child.kill().context("kill -9")?;
        self.child.wait().context("reaping")?;
        Ok(())
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Path of a workspace binary in the target directory the tests were built into.
pub fn binary_path(name: &str) -> PathBuf {
    // Test executables live in target/<profile>/deps/; binaries one level up.
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()
            .and_then(|deps| deps.parent())
            .map(|dir| dir.join(name))
    });
    match from_exe {
        Some(path) if path.exists() => path,
        _ => {
            let target = std::env::var("CARGO_TARGET_DIR")
                .unwrap_or_else(|_| format!("{}/../target", env!("CARGO_MANIFEST_DIR")));
            PathBuf::from(target).join("debug").join(name)
        }
    }
}

/// Polls `check` until it returns `Some`, or fails after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sanitize(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(24)
        .collect()
}
