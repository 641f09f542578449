//! librdkafka's statistics as Prometheus metrics.
//!
//! Clients that opt in (see [`crate::kafka::enable_stats`]) emit a statistics document every
//! `AGORA_KAFKA_STATS_INTERVAL_MS` (default 5000; 0 turns it off); their context hands it to
//! [`export`], which sets:
//! - `agora_kafka_client_queue_messages` / `agora_kafka_client_queue_bytes` (`client`, `type`):
//!   messages waiting in the client's queues (`msg_cnt`, `msg_size`): for a producer, records
//!   not yet acknowledged by the broker.
//! - `agora_kafka_consumer_lag` (`client`, `topic`, `partition`): records between a consumer's
//!   position and the partition's end (`consumer_lag`, or high watermark minus the position for
//!   readers that never commit).
//! - `agora_kafka_broker_rtt_seconds` (`client`, `broker`, `quantile` `0.5` and `0.99`):
//!   request round-trip time over the last interval.
//! - `agora_kafka_broker_tx_errors_total` / `agora_kafka_broker_rx_errors_total`
//!   (`client`, `broker`): transmission and receive errors since the client started.
//!
//! `client` is librdkafka's instance name (`agora#producer-3`), unique within the process.

use rdkafka::{
    ClientContext,
    consumer::ConsumerContext,
    statistics::{Partition, Statistics},
};

/// A client context that exports the client's statistics and otherwise behaves like the
/// default one. Custom contexts call [`export`] from their own `stats`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatsContext;

impl ClientContext for StatsContext {
    fn stats(&self, statistics: Statistics) {
        export(&statistics);
    }
}

impl ConsumerContext for StatsContext {}

/// Sets the gauges and counters of one statistics document.
pub fn export(stats: &Statistics) {
    let client = stats.name.clone();
    let kind = stats.client_type.clone();
    metrics::gauge!("agora_kafka_client_queue_messages", "client" => client.clone(), "type" => kind.clone())
        .set(stats.msg_cnt as f64);
    metrics::gauge!("agora_kafka_client_queue_bytes", "client" => client.clone(), "type" => kind.clone())
        .set(stats.msg_size as f64);
    for broker in stats.brokers.values() {
        // Bootstrap and coordinator entries (negative node ids) repeat a real broker.
        if broker.nodeid < 0 {
            continue;
        }
        let name = broker.nodename.clone();
        if let Some(rtt) = &broker.rtt
            && rtt.cnt > 0
        {
            for (quantile, micros) in [("0.5", rtt.p50), ("0.99", rtt.p99)] {
                metrics::gauge!(
                    "agora_kafka_broker_rtt_seconds",
                    "client" => client.clone(),
                    "broker" => name.clone(),
                    "quantile" => quantile
                )
                .set(micros as f64 / 1e6);
            }
        }
        metrics::counter!("agora_kafka_broker_tx_errors_total", "client" => client.clone(), "broker" => name.clone())
            .absolute(broker.txerrs);
        metrics::counter!("agora_kafka_broker_rx_errors_total", "client" => client.clone(), "broker" => name)
            .absolute(broker.rxerrs);
    }
    if kind != "consumer" {
        return;
    }
    for topic in stats.topics.values() {
        for partition in topic.partitions.values() {
            if let Some(lag) = lag(partition) {
                metrics::gauge!(
                    "agora_kafka_consumer_lag",
                    "client" => client.clone(),
                    "topic" => topic.topic.clone(),
                    "partition" => partition.partition.to_string()
                )
                .set(lag as f64);
            }
        }
    }
}

/// The lag of one consumed partition: librdkafka's (committed offsets) when it has one, else
/// the distance from the application's position (or, before it consumed anything, the fetch
/// position) to the high watermark. `None` for partitions not consumed (the internal `-1`
/// partition, or not assigned).
fn lag(partition: &Partition) -> Option<i64> {
    if partition.partition < 0 {
        return None;
    }
    if partition.consumer_lag >= 0 {
        return Some(partition.consumer_lag);
    }
    // Before the application consumed anything its position is the fetch position.
    let position = if partition.app_offset >= 0 {
        partition.app_offset
    } else {
        partition.next_offset
    };
    (partition.desired && position >= 0 && partition.hi_offset >= 0)
        .then(|| (partition.hi_offset - position).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(json: serde_json::Value) -> Partition {
        let mut base = serde_json::json!({
            "partition": 0, "broker": 1, "leader": 1, "desired": true, "unknown": false,
            "msgq_cnt": 0, "msgq_bytes": 0, "xmit_msgq_cnt": 0, "xmit_msgq_bytes": 0,
            "fetchq_cnt": 0, "fetchq_size": 0, "fetch_state": "active", "query_offset": -1,
            "next_offset": 0, "app_offset": -1001, "stored_offset": -1001,
            "committed_offset": -1001, "eof_offset": -1001, "lo_offset": 0, "hi_offset": 0,
            "ls_offset": 0, "consumer_lag": -1, "consumer_lag_stored": -1, "txmsgs": 0,
            "txbytes": 0, "rxmsgs": 0, "rxbytes": 0, "msgs": 0, "rx_ver_drops": 0,
            "msgs_inflight": 0, "next_ack_seq": 0, "next_err_seq": 0, "acked_msgid": 0
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), json.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(base).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn lag_is_librdkafkas_when_offsets_are_committed() {
        let p =
            partition(serde_json::json!({ "consumer_lag": 7, "app_offset": 3, "hi_offset": 100 }));
        assert_eq!(lag(&p), Some(7));
    }

    #[test]
    fn lag_of_a_reader_that_never_commits_is_measured_from_its_position() {
        let p = partition(serde_json::json!({ "app_offset": 40, "hi_offset": 100 }));
        assert_eq!(lag(&p), Some(60));
        let fresh = partition(serde_json::json!({ "next_offset": 10, "hi_offset": 12 }));
        assert_eq!(lag(&fresh), Some(2));
    }

    #[test]
    fn partitions_not_consumed_have_no_lag() {
        assert_eq!(
            lag(&partition(serde_json::json!({ "partition": -1 }))),
            None
        );
        assert_eq!(
            lag(&partition(serde_json::json!({ "desired": false }))),
            None
        );
    }
}
