//! Producing command envelopes straight to `agora.commands`, for commands no endpoint sends
//! (or tests that want no API in the way). Nothing waits for the reply: tests poll the log.

use rdkafka::producer::FutureRecord;
use runtime::testing::TestNamespace;
use serde_json::Value;
use uuid::Uuid;

use command_api::wire::CommandEnvelope;

/// Produces `command` (`{"type": ..., "data": ...}`) for `stream` as actor `tests`; returns the
/// command id once the broker acknowledged it.
pub async fn send_command(
    ns: &TestNamespace,
    stream: &str,
    command: Value,
) -> anyhow::Result<Uuid> {
    let topic = ns.kafka.topics().commands;
    let partitions = runtime::kafka::partition_count(&ns.kafka, &topic)?;
    let command_id = Uuid::new_v4();
    let envelope = CommandEnvelope {
        command_id,
        stream: stream.to_string(),
        command,
        actor: "tests".into(),
        correlation_id: command_id,
        causation_id: command_id,
        request_hash: None,
        issued_at: chrono::Utc::now(),
    };
    let payload = serde_json::to_vec(&envelope)?;
    let producer = runtime::kafka::producer(&ns.kafka)?;
    producer
        .send(
            FutureRecord::to(&topic)
                .partition(runtime::kafka::partition_for(stream, partitions))
                .key(stream)
                .payload(&payload),
            rdkafka::util::Timeout::Never,
        )
        .await
        .map_err(|(error, _)| error)?;
    Ok(command_id)
}
