//! The benchmark's own topics: a fresh prefix per run, so the generated log never mixes with
//! the demo's or a test's, and deleted afterwards, because the local broker keeps every
//! record in memory.

use rdkafka::{
    admin::{AdminClient, AdminOptions},
    client::DefaultClientContext,
};
use runtime::{
    config::KafkaConfig,
    kafka::{self, METADATA_TIMEOUT},
    topics::{self, TopicsError},
};
use uuid::Uuid;

/// Topics created under a unique prefix, with their log epoch.
pub struct Namespace {
    /// Broker settings carrying the prefix.
    pub kafka: KafkaConfig,
    /// The log epoch written at genesis.
    pub log_epoch: Uuid,
    /// The short unique name (also used for scratch stores).
    pub name: String,
}

impl Namespace {
    /// Creates every Agora topic under `bench_<random>.` and writes a genesis log epoch, as
    /// `infra/stack up` does for the real prefix.
    pub async fn create(mut kafka: KafkaConfig) -> Result<Self, TopicsError> {
        let name = format!("bench_{}", &Uuid::new_v4().simple().to_string()[..12]);
        kafka.topic_prefix = format!("{name}.");
        let bootstrap = topics::ensure_topics(&kafka).await?;
        Ok(Self {
            kafka,
            log_epoch: bootstrap.epoch.log_epoch,
            name,
        })
    }

    /// Deletes every topic of the namespace.
    pub async fn delete(&self) -> Result<(), TopicsError> {
        let topics = self.kafka.topics();
        let names = [
            topics.commands,
            topics.events,
            topics.replies,
            topics.dlq,
            topics.meta,
        ];
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let admin: AdminClient<DefaultClientContext> = kafka::base_config(&self.kafka).create()?;
        let options = AdminOptions::new().operation_timeout(Some(METADATA_TIMEOUT));
        for result in admin.delete_topics(&names, &options).await? {
            if let Err((topic, code)) = result {
                tracing::warn!(topic, %code, "could not delete a benchmark topic");
            }
        }
        Ok(())
    }
}
