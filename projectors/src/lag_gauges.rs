//! Lag of every projection as Prometheus gauges: `agora_projection_lag_records` and
//! `agora_projection_lag_seconds`, refreshed every few seconds by the projector.
//!
//! The figures are the ones `agora-projector list` prints ([`crate::replay::lag`]), read from
//! the stored checkpoints and positions, so they show what is durably applied and include the
//! projections of other projector replicas on the same stores. The furthest behind decides the
//! projector's `lag` readiness check.

use std::{collections::BTreeMap, time::Duration};

use runtime::{health::Readiness, shutdown::Shutdown};
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

/// Refreshes the lag gauges until shutdown, and reports the `lag` readiness check: ready while
/// every projection is at most `AGORA_READY_MAX_LAG_SECONDS` (default 30) behind. Failures are
/// logged and retried next round: lag reporting must never stop projecting.
pub async fn run(
    config: Config,
    stores: Stores,
    partitions: i32,
    readiness: Readiness,
    shutdown: Shutdown,
) {
    let topic = config.kafka.topics().events;
    let max_lag =
        runtime::config::env_parse("AGORA_READY_MAX_LAG_SECONDS", 30.0_f64).unwrap_or(30.0);
    readiness.report("lag", Err("not measured yet".into()));
    loop {
        match refresh(&config, &stores, &topic, partitions).await {
            Ok(worst) => readiness.report("lag", within_bound(worst, max_lag)),
            Err(error) => {
                tracing::warn!(error = %error, "projection lag not measured this round");
                readiness.report("lag", Err(format!("not measured: {error}")));
            }
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
) -> Result<Option<(String, f64)>, ProjectorError> {
    let ends = lag::log_end(config, topic, partitions).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let checkpoints = stored_positions(stores, partitions).await?;
    let mut worst: Option<(String, f64)> = None;
    for (projection, measured) in
        lag::measure_all(config, topic, &checkpoints, &ends, now_ms).await?
    {
        metrics::gauge!("agora_projection_lag_records", "projection" => projection.clone())
            .set(measured.records as f64);
        metrics::gauge!("agora_projection_lag_seconds", "projection" => projection.clone())
            .set(measured.seconds);
        if worst
            .as_ref()
            .is_none_or(|(_, seconds)| measured.seconds > *seconds)
        {
            worst = Some((projection, measured.seconds));
        }
    }
    Ok(worst)
}

/// The `lag` check: the projection furthest behind must be within `max_seconds`.
fn within_bound(worst: Option<(String, f64)>, max_seconds: f64) -> Result<(), String> {
    match worst {
        Some((projection, seconds)) if seconds > max_seconds => Err(format!(
            "{projection} is {seconds:.1} s behind (limit {max_seconds} s)"
        )),
        _ => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    use super::within_bound;

    #[test]
    fn projections_within_the_bound_are_ready() {
        assert_eq!(within_bound(None, 30.0), Ok(()));
        assert_eq!(within_bound(Some(("catalog".into(), 30.0)), 30.0), Ok(()));
    }

    #[test]
    fn the_projection_furthest_behind_is_named_when_past_the_bound() {
        assert_eq!(
            within_bound(Some(("orders".into(), 42.26)), 30.0),
            Err("orders is 42.3 s behind (limit 30 s)".into())
        );
    }
}
