//! The run's private slice of the stack: topics under a fresh `bench_<random>.` prefix (the
//! replay benchmark's [`Namespace`]), a Postgres database and a ClickHouse database of the same
//! name. The demo's and the tests' data are never touched, and everything is dropped at the end
//! (the local broker keeps every record in memory).

use anyhow::Context;
use projectors::bench::namespace::Namespace;
use runtime::config::{KafkaConfig, env_string};
use sqlx::Connection;

/// Where the run's data lives.
pub struct BenchNamespace {
    /// Topics and the broker settings carrying their prefix.
    pub topics: Namespace,
    /// Postgres server URL with the `postgres` maintenance database.
    pub admin_url: String,
    /// URL of the run's own database.
    pub database_url: String,
    /// ClickHouse HTTP endpoint.
    pub clickhouse_url: String,
}

impl BenchNamespace {
    /// Creates the topics (with a genesis log epoch) and both databases.
    pub async fn create() -> anyhow::Result<Self> {
        let mut kafka = KafkaConfig::from_env()?;
        kafka.partitions = 4;
        let topics = Namespace::create(kafka)
            .await
            .context("creating the benchmark's topics (is `infra/stack up` running?)")?;
        let admin_url = env_string(
            "AGORA_PG_ADMIN_URL",
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
        );
        let database_url = runtime::config::with_database(&admin_url, &topics.name);
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .with_context(|| format!("connecting to Postgres at {admin_url}"))?;
        sqlx::query(&format!("CREATE DATABASE \"{}\"", topics.name))
            .execute(&mut admin)
            .await
            .context("creating the benchmark database")?;
        let clickhouse_url = env_string("CLICKHOUSE_URL", "http://127.0.0.1:8123");
        clickhouse_statement(
            &clickhouse_url,
            &format!("CREATE DATABASE IF NOT EXISTS {}", topics.name),
        )
        .await?;
        Ok(Self {
            topics,
            admin_url,
            database_url,
            clickhouse_url,
        })
    }

    /// The short unique name: topic prefix, Postgres and ClickHouse database.
    pub fn name(&self) -> &str {
        &self.topics.name
    }

    /// Broker settings with the run's prefix.
    pub fn kafka(&self) -> &KafkaConfig {
        &self.topics.kafka
    }

    /// Environment that points a service binary at this namespace.
    pub fn env(&self) -> Vec<(String, String)> {
        let kafka = self.kafka();
        vec![
            ("AGORA_KAFKA_BROKERS".into(), kafka.brokers.clone()),
            ("AGORA_TOPIC_PREFIX".into(), kafka.topic_prefix.clone()),
            ("AGORA_PARTITIONS".into(), kafka.partitions.to_string()),
            ("DATABASE_URL".into(), self.database_url.clone()),
            ("AGORA_PG_ADMIN_URL".into(), self.admin_url.clone()),
            ("CLICKHOUSE_URL".into(), self.clickhouse_url.clone()),
            ("CLICKHOUSE_DATABASE".into(), self.name().to_string()),
            ("AGORA_DEV".into(), "1".into()),
            // No SMTP server: notifications stay queued instead of reaching the demo's sink.
            ("AGORA_SMTP_URL".into(), String::new()),
        ]
    }

    /// Deletes the topics and drops both databases; failures are logged, not fatal.
    pub async fn drop_all(&self) {
        if let Err(error) = self.topics.delete().await {
            tracing::warn!(%error, "could not delete the benchmark topics");
        }
        let drop_pg = async {
            let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name()
            ))
            .execute(&mut admin)
            .await?;
            anyhow::Ok(())
        };
        if let Err(error) = drop_pg.await {
            tracing::warn!(
                error = format!("{error:#}"),
                "could not drop the benchmark database"
            );
        }
        let statement = format!("DROP DATABASE IF EXISTS {}", self.name());
        if let Err(error) = clickhouse_statement(&self.clickhouse_url, &statement).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "could not drop the ClickHouse database"
            );
        }
    }
}

/// Runs one statement over ClickHouse's HTTP interface.
pub async fn clickhouse_statement(url: &str, statement: &str) -> anyhow::Result<String> {
    let response = reqwest::Client::new()
        .post(url)
        .body(statement.to_string())
        .send()
        .await
        .with_context(|| format!("ClickHouse at {url}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    anyhow::ensure!(status.is_success(), "ClickHouse: {status} {body}");
    Ok(body)
}
