//! Raw limits of the parts Agora runs on, measured in the same run as the scenarios so every
//! scenario figure can be read as a fraction of what the machine can do at all.

pub mod http;
pub mod kafka;
pub mod passwords;
pub mod stores;

use serde::Serialize;

use crate::{load::LoadResult, namespace::BenchNamespace, options::Sizes};

/// Every raw limit.
#[derive(Debug, Clone, Serialize)]
pub struct RawLimits {
    /// Broker: idempotent acks=all produce, messages/s.
    pub broker_produce: kafka::BrokerRate,
    /// Broker: consume-transform-produce as the processors do it, messages/s.
    pub broker_consume_transform_produce: kafka::BrokerRate,
    /// Postgres `COPY` of read-model rows.
    pub postgres_copy: stores::RowRate,
    /// Postgres multi-row `INSERT` of read-model rows.
    pub postgres_insert: stores::RowRate,
    /// ClickHouse insert of fact rows.
    pub clickhouse_insert: stores::RowRate,
    /// axum hello-world, closed loop.
    pub http_hello: LoadResult,
    /// argon2id password hashes (the registration's), all cores.
    pub password_hashes: passwords::HashRate,
}

/// Measures every raw limit, one after another (each alone on the machine).
pub async fn measure(
    namespace: &BenchNamespace,
    sizes: &Sizes,
    http_client: &reqwest::Client,
) -> anyhow::Result<RawLimits> {
    eprintln!(
        "raw: broker produce and consume-transform-produce ({} messages)",
        sizes.raw_messages
    );
    let broker = kafka::measure(namespace.kafka(), sizes.raw_messages).await?;
    eprintln!("raw: Postgres COPY and INSERT ({} rows)", sizes.pg_rows);
    let postgres_copy = stores::postgres_copy(&namespace.database_url, sizes.pg_rows).await?;
    let postgres_insert = stores::postgres_insert(&namespace.database_url, sizes.pg_rows).await?;
    eprintln!("raw: ClickHouse insert ({} rows)", sizes.ch_rows);
    let raw_database = format!("{}_raw", namespace.name());
    let clickhouse =
        stores::clickhouse_insert(&namespace.clickhouse_url, &raw_database, sizes.ch_rows).await;
    let statement = format!("DROP DATABASE IF EXISTS {raw_database}");
    if let Err(error) =
        crate::namespace::clickhouse_statement(&namespace.clickhouse_url, &statement).await
    {
        tracing::warn!(
            error = format!("{error:#}"),
            "could not drop the raw ClickHouse database"
        );
    }
    eprintln!("raw: axum hello-world ({} clients)", sizes.clients);
    let http_hello = http::measure(http_client, sizes.clients, sizes.phase).await?;
    eprintln!(
        "raw: argon2id password hashes ({} per core)",
        sizes.hashes_per_core
    );
    let password_hashes = passwords::measure(sizes.hashes_per_core).await?;
    Ok(RawLimits {
        broker_produce: broker.produce,
        broker_consume_transform_produce: broker.consume_transform_produce,
        postgres_copy,
        postgres_insert,
        clickhouse_insert: clickhouse?,
        http_hello,
        password_hashes,
    })
}
