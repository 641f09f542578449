//! `agora-projector list`: every projection, its version, checkpoint and lag.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analytics;

use super::{
    lag::{self, Lag},
    session::{ReplayError, Session},
    units::{UNITS, unit_of},
    versions,
};

/// One line of the listing.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Projection (checkpoint) name.
    pub projection: String,
    /// `postgres` or `clickhouse`.
    pub store: &'static str,
    /// The rebuild unit it belongs to, if it can be rebuilt.
    pub unit: Option<&'static str>,
    /// The live generation of that unit.
    pub generation: Option<i32>,
    /// The code version that built it.
    pub code_version: Option<i32>,
    /// Next offset per partition.
    pub checkpoint: BTreeMap<i32, i64>,
    /// Records behind the log end.
    pub lag_records: i64,
    /// Age of the oldest record not applied yet, in seconds.
    pub lag_seconds: f64,
}

/// Lists every projection that has a checkpoint in this log, Postgres first.
pub async fn list(session: &Session) -> Result<Vec<Entry>, ReplayError> {
    let config = &session.config;
    let topic = &session.base.topic;
    let ends = lag::log_end(config, topic, session.base.partitions).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut entries = Vec::new();

    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT projection, partition, next_offset FROM projection_checkpoints
         WHERE log_epoch = $1 ORDER BY projection, partition",
    )
    .bind(session.log_epoch)
    .fetch_all(&session.live)
    .await?;
    let mut found: Vec<(&'static str, String, BTreeMap<i32, i64>)> =
        super::build::collect_positions(rows)
            .into_iter()
            .map(|(projection, checkpoint)| ("postgres", projection, checkpoint))
            .collect();
    let clickhouse = analytics::client(&config.clickhouse_url, &config.clickhouse_database);
    for projection in analytics::projection_names(&clickhouse, session.log_epoch).await? {
        let checkpoint = analytics::load_positions(
            &clickhouse,
            &projection,
            session.log_epoch,
            session.base.partitions,
        )
        .await?
        .into_iter()
        .map(|start| (start.partition, start.next_offset))
        .collect();
        found.push(("clickhouse", projection, checkpoint));
    }

    let checkpoints: lag::Checkpoints = found
        .iter()
        .map(|(_, projection, checkpoint)| (projection.clone(), checkpoint.clone()))
        .collect();
    let lags = lag::measure_all(config, topic, &checkpoints, &ends, now_ms).await?;
    let mut conn = session.live.acquire().await?;
    for (store, projection, checkpoint) in found {
        let unit = match store {
            "postgres" => unit_of(&projection).ok().map(|u| u.name),
            _ => super::facts::facts_unit(&projection).map(|u| u.name),
        };
        let version = match unit {
            Some(unit) => Some(versions::live(&mut conn, unit).await?),
            None => None,
        };
        let Lag { records, seconds } = lags.get(&projection).copied().unwrap_or(Lag {
            records: 0,
            seconds: 0.0,
        });
        entries.push(Entry {
            store,
            unit,
            generation: version.map(|v| v.generation),
            code_version: version.map(|v| v.code_version),
            projection,
            checkpoint,
            lag_records: records,
            lag_seconds: seconds,
        });
    }
    Ok(entries)
}

/// The listing as an aligned table.
pub fn render(entries: &[Entry]) -> String {
    let mut out = format!(
        "{:<18} {:<10} {:<16} {:<8} {:>12} {:>12} {:>10}\n",
        "PROJECTION", "STORE", "UNIT", "VERSION", "CHECKPOINT", "LAG_RECORDS", "LAG_SECS"
    );
    for entry in entries {
        let version = match (entry.generation, entry.code_version) {
            (Some(generation), Some(code)) => format!("g{generation}/v{code}"),
            _ => "-".to_string(),
        };
        let checkpoint: i64 = entry.checkpoint.values().sum();
        out.push_str(&format!(
            "{:<18} {:<10} {:<16} {:<8} {:>12} {:>12} {:>10.1}\n",
            entry.projection,
            entry.store,
            entry.unit.unwrap_or("-"),
            version,
            checkpoint,
            entry.lag_records,
            entry.lag_seconds
        ));
    }
    let rebuildable: Vec<&str> = UNITS
        .iter()
        .map(|u| u.name)
        .chain(super::facts::FACT_UNITS.iter().map(|u| u.name))
        .collect();
    out.push_str(&format!(
        "rebuild units: {} (CHECKPOINT sums next offsets over partitions)\n",
        rebuildable.join(", ")
    ));
    out
}
