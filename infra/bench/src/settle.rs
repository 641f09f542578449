//! Between scenarios: wait until the platform has finished the previous scenario's work, so
//! each scenario is measured alone.
//!
//! A scenario can leave work behind that the next one would pay for: an open loop that asked
//! more than the command path carries leaves commands queued, the saga reacts to what they
//! appended, and the projector works through the events after them. The platform is quiet
//! when the events topic has not grown for [`QUIET_FOR`] and every projection's checkpoint has
//! reached its end on every partition.

use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;

use crate::scenarios::Bench;

/// How long the events topic must stay unchanged.
const QUIET_FOR: Duration = Duration::from_secs(2);
/// How often to look.
const POLL: Duration = Duration::from_millis(250);

/// Waits (at most `bound`) until the platform is quiet; returns how long it waited, or an
/// error naming what was still moving when the bound ran out.
pub async fn quiet(bench: &Bench, bound: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let kafka = bench.namespace.kafka().clone();
    let topic = kafka.topics().events;
    let (ends_reader, partitions) = tokio::task::spawn_blocking({
        let (kafka, topic) = (kafka.clone(), topic.clone());
        move || -> anyhow::Result<(BaseConsumer, i32)> {
            let consumer: BaseConsumer =
                runtime::kafka::assigned_consumer_config(&kafka).create()?;
            let partitions = runtime::kafka::partition_count(&kafka, &topic)?;
            Ok((consumer, partitions))
        }
    })
    .await??;
    let ends_reader = std::sync::Arc::new(ends_reader);
    let mut last_ends: Vec<i64> = Vec::new();
    let mut unchanged_since = Instant::now();
    loop {
        let ends = {
            let (reader, topic) = (std::sync::Arc::clone(&ends_reader), topic.clone());
            tokio::task::spawn_blocking(move || {
                runtime::kafka::high_watermarks(&reader, &topic, partitions)
            })
            .await??
        };
        if ends != last_ends {
            last_ends = ends;
            unchanged_since = Instant::now();
        }
        let behind = projections_behind(bench, &last_ends).await?;
        if behind.is_empty() && unchanged_since.elapsed() >= QUIET_FOR {
            return Ok(started.elapsed());
        }
        if started.elapsed() >= bound {
            anyhow::bail!(
                "still busy after {bound:?}: events topic last grew {:?} ago; behind: {}",
                unchanged_since.elapsed(),
                if behind.is_empty() {
                    "none".to_string()
                } else {
                    behind.join(", ")
                }
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The projections whose checkpoint is short of `ends` on some partition, as
/// `name/partition`.
async fn projections_behind(bench: &Bench, ends: &[i64]) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT projection, partition, next_offset FROM projection_checkpoints
         ORDER BY projection, partition",
    )
    .fetch_all(&bench.db)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, partition, next_offset)| {
            usize::try_from(*partition)
                .ok()
                .and_then(|p| ends.get(p))
                .is_some_and(|end| next_offset < end)
        })
        .map(|(projection, partition, _)| format!("{projection}/{partition}"))
        .collect())
}
