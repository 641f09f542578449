//! Lag of every projection as Prometheus gauges: `agora_projection_lag_records` and
//! `agora_projection_lag_seconds`, refreshed every few seconds by the projector.
//!
//! The figures are the ones `agora-projector list` prints ([`crate::replay::lag`]), read from
//! the stored checkpoints and positions, so they show what is durably applied and include the
//! projections of other projector replicas on the same stores.

use std::{collections::BTreeMap, time::Duration};

use runtime::shutdown::Shutdown;
use uuid::Uuid;

use crate::{
    analytics,
    config::Config,
    error::ProjectorError,
    migrate::Stores,
    replay::{build::collect_positions, lag},
};

/// How often the gauges are refreshed.
const INTERVAL: Duration = Duration::from_secs(5);

/// Refreshes the lag gauges until shutdown. Failures are logged and retried next round: lag
/// reporting must never stop projecting.
pub async fn run(config: Config, stores: Stores, partitions: i32, shutdown: Shutdown) {
    let topic = config.kafka.topics().events;
    loop {
        if let Err(error) = refresh(&config, &stores, &topic, partitions).await {
            tracing::warn!(error = %error, "projection lag not measured this round");
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(INTERVAL) => {}
        }
    }
}

async fn refresh(
    config: &Config,
    stores: &Stores,
    topic: &str,
    partitions: i32,
) -> Result<(), ProjectorError> {
    let ends = lag::log_end(config, topic, partitions).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let checkpoints = stored_positions(stores, partitions).await?;
    for (projection, measured) in
        lag::measure_all(config, topic, &checkpoints, &ends, now_ms).await?
    {
        metrics::gauge!("agora_projection_lag_records", "projection" => projection.clone())
            .set(measured.records as f64);
        metrics::gauge!("agora_projection_lag_seconds", "projection" => projection)
            .set(measured.seconds);
    }
    Ok(())
}

/// Every projection's stored position in this log, Postgres and ClickHouse.
async fn stored_positions(
    stores: &Stores,
    partitions: i32,
) -> Result<BTreeMap<String, BTreeMap<i32, i64>>, ProjectorError> {
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT projection, partition, next_offset FROM projection_checkpoints
         WHERE log_epoch = $1",
    )
    .bind(stores.log_epoch)
    .fetch_all(&stores.pool)
    .await?;
    let mut positions = collect_positions(rows);
    positions.extend(clickhouse_positions(&stores.clickhouse, stores.log_epoch, partitions).await?);
    Ok(positions)
}

async fn clickhouse_positions(
    client: &clickhouse::Client,
    log_epoch: Uuid,
    partitions: i32,
) -> Result<BTreeMap<String, BTreeMap<i32, i64>>, ProjectorError> {
    let mut positions = BTreeMap::new();
    for projection in analytics::projection_names(client, log_epoch).await? {
        let starts = analytics::load_positions(client, &projection, log_epoch, partitions).await?;
        positions.insert(
            projection,
            starts
                .iter()
                .map(|s| (s.partition, s.next_offset))
                .collect(),
        );
    }
    Ok(positions)
}
