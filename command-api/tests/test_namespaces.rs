//! The test namespaces every integration test runs in clean up after themselves: the local
//! broker keeps topics in memory, so topics left behind by hundreds of tests slow every later
//! one. Dropping the last copy of a namespace deletes every topic under its prefix, including
//! topics a test derived from that prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use rdkafka::{
    ClientConfig,
    consumer::{BaseConsumer, Consumer},
};
use runtime::testing::{TestNamespace, eventually};

fn topics_with_prefix(brokers: &str, prefix: &str) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("metadata client");
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(5))
        .expect("metadata");
    metadata
        .topics()
        .iter()
        .map(|topic| topic.name().to_string())
        .filter(|name| name.starts_with(prefix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_copy_of_a_namespace_deletes_its_topics() {
    let namespace = TestNamespace::create("cleanup").await.unwrap();
    let brokers = namespace.kafka.brokers.clone();
    let prefix = namespace.kafka.topic_prefix.clone();

    // A topic a test derives from the namespace's prefix (as restores do) goes too.
    let mut derived = namespace.kafka.clone();
    derived.topic_prefix = format!("{prefix}restored.");
    runtime::topics::ensure_topics(&derived).await.unwrap();
    let before = topics_with_prefix(&brokers, &prefix);
    assert!(
        before.len() >= 10,
        "the namespace and its derived prefix should own at least 10 topics, found {before:?}"
    );

    // A copy keeps the topics alive; only the last drop deletes them.
    let copy = namespace.clone();
    drop(namespace);
    assert_eq!(topics_with_prefix(&brokers, &prefix).len(), before.len());

    drop(copy);
    eventually(Duration::from_secs(10), "the topics to disappear", || {
        let left = topics_with_prefix(&brokers, &prefix);
        async move { Ok(left.is_empty().then_some(())) }
    })
    .await
    .unwrap();
}
