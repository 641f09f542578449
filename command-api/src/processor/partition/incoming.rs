//! Reading commands off the commands topic and how each gets answered.

use rdkafka::{Message, message::OwnedMessage};
use uuid::Uuid;

use crate::wire::CommandEnvelope;

/// How a command of a batch gets answered.
pub(super) enum Answer {
    /// From the outcome the log holds for it once the batch is confirmed.
    FromLog(Box<CommandEnvelope>),
    /// It could not be read or routed: command id (nil if unknown), stream, why.
    Malformed(Uuid, String, String),
}

pub(super) fn parse(message: &OwnedMessage) -> Result<CommandEnvelope, Answer> {
    let payload = message.payload().unwrap_or_default();
    serde_json::from_slice::<CommandEnvelope>(payload).map_err(|error| {
        tracing::error!(
            partition = message.partition(),
            offset = message.offset(),
            %error,
            "undecodable command skipped"
        );
        let command_id = serde_json::from_slice::<serde_json::Value>(payload)
            .ok()
            .and_then(|v| v.get("command_id")?.as_str()?.parse().ok())
            .unwrap_or_else(Uuid::nil);
        Answer::Malformed(
            command_id,
            String::new(),
            format!("undecodable command: {error}"),
        )
    })
}

pub(super) fn runtime_header(message: &OwnedMessage, name: &str) -> Option<String> {
    use rdkafka::message::Headers;
    let headers = message.headers()?;
    headers
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::to_string)
}

/// The span of one command: its decision, and the parent of whatever its commit causes
/// downstream. Its fields go on every log line written while deciding it.
pub(super) fn command_span(envelope: &CommandEnvelope, command: &str) -> tracing::Span {
    tracing::info_span!(
        "command",
        command.id = %envelope.command_id,
        command.r#type = command,
        // An e-mail claim's stream name is the address itself.
        stream = domain::email_claim::loggable_stream(&envelope.stream),
        correlation_id = %envelope.correlation_id,
        causation_id = %envelope.causation_id,
    )
}

/// The command's type name (`ReserveStock`, …) for metrics; `unknown` when the body has none.
pub(super) fn command_type(envelope: &CommandEnvelope) -> String {
    envelope
        .command
        .get("type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("unknown")
        .to_string()
}
