//! Settling: after the load, read the log to its end, and wait until the saga owes nothing,
//! no reservation is waiting for its expiry, the log has been quiet for a while, and every
//! projection (Postgres checkpoints and ClickHouse positions) has passed the end of the log.

use std::time::Duration;

use runtime::log::{LogReader, PartitionStart};
use sqlx::PgPool;

use crate::{
    audit::{model::Model, work},
    deployment::Deployment,
};

/// The log must be this quiet before the system counts as settled.
const QUIET: Duration = Duration::from_secs(5);

/// How settling went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Settled {
    /// Seconds it took (or waited until the deadline).
    pub secs: f64,
    /// Everything caught up before the deadline.
    pub settled: bool,
    /// Projections that had not caught up at the end.
    pub projections_behind: Vec<String>,
}

/// Opens a reader of the whole events log of the deployment.
pub fn open_reader(deployment: &Deployment) -> anyhow::Result<(LogReader, i32)> {
    let kafka = &deployment.ns.kafka;
    let topic = kafka.topics().events;
    let partitions = runtime::kafka::partition_count(kafka, &topic)?;
    let starts: Vec<PartitionStart> = (0..partitions).map(PartitionStart::beginning).collect();
    Ok((LogReader::open(kafka, &topic, &starts)?, partitions))
}

/// Reads what the log holds now into `model`; true if anything was read.
pub async fn drain(reader: &mut LogReader, model: &mut Model) -> anyhow::Result<bool> {
    let mut any = false;
    while let Ok(item) = tokio::time::timeout(Duration::from_millis(500), reader.next()).await {
        model.apply(&item?);
        any = true;
    }
    Ok(any)
}

/// Waits until settled or `within` passed.
pub async fn settle(
    deployment: &Deployment,
    pool: &PgPool,
    reader: &mut LogReader,
    partitions: i32,
    model: &mut Model,
    within: Duration,
) -> anyhow::Result<Settled> {
    let started = tokio::time::Instant::now();
    let mut last_record = tokio::time::Instant::now();
    loop {
        if drain(reader, model).await? {
            last_record = tokio::time::Instant::now();
        }
        deployment.supervise();
        let ends: Vec<i64> = (0..partitions)
            .map(|p| reader.position(p).map_or(0, |pos| pos.next_offset))
            .collect();
        let behind = projections_behind(deployment, pool, &ends)
            .await
            .unwrap_or_else(|e| vec![format!("{e:#}")]);
        let owed = work::owed(model, chrono::Utc::now());
        let quiet = last_record.elapsed() >= QUIET;
        if owed.is_settled() && quiet && behind.is_empty() {
            return Ok(Settled {
                secs: started.elapsed().as_secs_f64(),
                settled: true,
                projections_behind: behind,
            });
        }
        if started.elapsed() >= within {
            return Ok(Settled {
                secs: started.elapsed().as_secs_f64(),
                settled: false,
                projections_behind: behind,
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Projections whose position is short of `ends` in some partition.
async fn projections_behind(
    deployment: &Deployment,
    pool: &PgPool,
    ends: &[i64],
) -> anyhow::Result<Vec<String>> {
    let mut behind = Vec::new();
    let rows: Vec<(String, i32, i64)> =
        sqlx::query_as("SELECT projection, partition, next_offset FROM projection_checkpoints")
            .fetch_all(pool)
            .await?;
    let mut positions: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for (projection, partition, next) in rows {
        let entry = positions
            .entry(projection)
            .or_insert_with(|| vec![0; ends.len()]);
        if let Some(slot) = entry.get_mut(partition as usize) {
            *slot = next;
        }
    }
    let ns = &deployment.ns;
    let query = format!(
        "SELECT projection, partition, max(next_offset) FROM projection_positions \
         WHERE log_epoch = '{}' GROUP BY projection, partition FORMAT TabSeparated",
        ns.log_epoch
    );
    let text = reqwest::Client::new()
        .post(&ns.clickhouse_url)
        .query(&[("database", ns.clickhouse_database.as_str())])
        .body(query)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [projection, partition, next] = fields[..]
            && let (Ok(partition), Ok(next)) = (partition.parse::<usize>(), next.parse::<i64>())
        {
            let entry = positions
                .entry(format!("clickhouse:{projection}"))
                .or_insert_with(|| vec![0; ends.len()]);
            if let Some(slot) = entry.get_mut(partition) {
                *slot = next;
            }
        }
    }
    if positions.is_empty() {
        behind.push("no projection has a checkpoint yet".into());
    }
    for (projection, offsets) in positions {
        if offsets.iter().zip(ends).any(|(at, end)| at < end) {
            behind.push(format!("{projection} at {offsets:?}, log end {ends:?}"));
        }
    }
    Ok(behind)
}
