//! Running the projector and reading back what it built: checkpoints, positions, dead letters.

use std::{collections::HashMap, time::Duration};

use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
};
use runtime::{
    kafka,
    testing::{ChildProcess, TestNamespace, eventually},
};
use sqlx::PgPool;

use crate::support::Log;

/// Starts `agora-projector run` in the namespace.
pub fn spawn_projector(ns: &TestNamespace) -> ChildProcess {
    ns.spawn(
        "agora-projector",
        &["run"],
        &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
    )
    .expect("agora-projector starts (build it with `cargo build -p projectors --bins`)")
}

/// A port nothing listens on right now, for a service's address.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// The namespace's read-model database.
pub async fn pg(ns: &TestNamespace) -> PgPool {
    PgPool::connect(&ns.database_url).await.expect("postgres")
}

/// The namespace's ClickHouse database.
pub fn ch(ns: &TestNamespace) -> clickhouse::Client {
    projectors::analytics::client(&ns.clickhouse_url, &ns.clickhouse_database)
}

/// The ClickHouse projections [`wait_caught_up`] waits for: the ones `rebuild-check` compares.
const CLICKHOUSE_WAITED: [&str; 2] = [
    projectors::projections::stock_movements::NAME,
    projectors::projections::event_log::NAME,
];

/// Offsets every projection has reached, by projection name, or `None` before migrations ran.
pub async fn positions(ns: &TestNamespace, pool: &PgPool) -> Option<HashMap<String, Vec<i64>>> {
    let rows: Vec<(String, i32, i64)> = match sqlx::query_as(
        "SELECT projection, partition, next_offset FROM projection_checkpoints
         ORDER BY projection, partition",
    )
    .fetch_all(pool)
    .await
    {
        Ok(rows) => rows,
        Err(error) => {
            eprintln!("checkpoints not readable yet: {error}");
            return None;
        }
    };
    let mut positions: HashMap<String, Vec<i64>> = HashMap::new();
    for (projection, _partition, next_offset) in rows {
        positions.entry(projection).or_default().push(next_offset);
    }
    for projection in CLICKHOUSE_WAITED {
        let stored = projectors::analytics::load_positions(
            &ch(ns),
            projection,
            ns.log_epoch,
            ns.kafka.partitions,
        )
        .await
        .inspect_err(|error| eprintln!("positions not readable yet: {error}"))
        .ok()?;
        positions.insert(
            projection.to_string(),
            stored.iter().map(|p| p.next_offset).collect(),
        );
    }
    Some(positions)
}

/// Waits until every projection (each Postgres read model, the stock movement facts and the raw
/// events) has read every record `log` wrote.
pub async fn wait_caught_up(ns: &TestNamespace, log: &Log, pool: &PgPool, timeout: Duration) {
    let marks = log.ends();
    eventually(
        timeout,
        "every projection to reach the end of the log",
        || {
            let marks = marks.clone();
            async move {
                let Some(positions) = positions(ns, pool).await else {
                    return Ok(None);
                };
                let done = projectors::projections::POSTGRES_PROJECTIONS
                    .iter()
                    .chain(&CLICKHOUSE_WAITED)
                    .all(|name| positions.get(*name) == Some(&marks));
                Ok(done.then_some(()))
            }
        },
    )
    .await
    .unwrap_or_else(|error| {
        panic!("{error}: log ends at {marks:?}");
    });
}

/// The dead letters readable now in the namespace's DLQ topic (read until it goes quiet; the
/// local broker's high watermark cannot be trusted, see [`Log::ends`]).
pub async fn dead_letters(ns: &TestNamespace) -> Vec<projectors::dlq::DeadLetter> {
    let kafka = ns.kafka.clone();
    tokio::task::spawn_blocking(move || {
        let topic = kafka.topics().dlq;
        let consumer: BaseConsumer = kafka::assigned_consumer_config(&kafka)
            .create()
            .expect("consumer");
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(&topic, 0, Offset::Beginning)
            .expect("assignment");
        consumer.assign(&assignment).expect("assign");
        let mut letters = Vec::new();
        // The first fetch after an assignment takes a while; after that, quiet means done.
        let mut wait = Duration::from_secs(5);
        while let Some(message) = consumer.poll(wait) {
            wait = Duration::from_millis(500);
            let message = message.expect("dlq record");
            letters.push(
                serde_json::from_slice(message.payload().unwrap_or_default())
                    .expect("dead letter json"),
            );
        }
        letters
    })
    .await
    .expect("dlq task")
}
