//! Producing the saga's commands to their streams' partitions of `agora.commands`, each with
//! the `traceparent` of the record that caused it.

use futures::future::try_join_all;
use rdkafka::{
    message::{Header, OwnedHeaders},
    producer::FutureRecord,
    util::Timeout,
};

use super::SagaError;
use crate::wire::CommandEnvelope;

/// Produces command envelopes to their streams' partitions.
pub(super) struct Emitter {
    pub(super) producer: runtime::kafka::Producer,
    pub(super) topic: String,
    pub(super) partitions: i32,
}

/// A command to emit and the trace context it continues.
pub(super) struct Traced {
    pub(super) envelope: CommandEnvelope,
    pub(super) traceparent: Option<String>,
}

impl Emitter {
    /// Produces `commands` in order and waits until the broker acknowledged all of them.
    pub(super) async fn emit(&self, commands: &[Traced]) -> Result<(), SagaError> {
        let mut encoded: Vec<(&Traced, Vec<u8>)> = Vec::with_capacity(commands.len());
        for command in commands {
            encoded.push((command, serde_json::to_vec(&command.envelope)?));
        }
        let sends = encoded.iter().map(|(command, payload)| {
            let stream = &command.envelope.stream;
            let partition = runtime::kafka::partition_for(stream, self.partitions);
            let mut record = FutureRecord::to(&self.topic)
                .partition(partition)
                .key(stream)
                .payload(payload);
            if let Some(traceparent) = &command.traceparent {
                record = record.headers(OwnedHeaders::new().insert(Header {
                    key: schemas::log_record::HEADER_TRACEPARENT,
                    value: Some(traceparent.as_str()),
                }));
            }
            self.producer.send(record, Timeout::Never)
        });
        try_join_all(sends.map(|send| async move { send.await.map_err(|(error, _)| error) }))
            .await?;
        for Traced { envelope, .. } in commands {
            let name = envelope
                .command
                .get("type")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("unknown")
                .to_string();
            metrics::counter!("agora_saga_commands_total", "command" => name).increment(1);
        }
        Ok(())
    }
}
