//! The auditor catches what it is meant to catch: hand-made logs with a duplicate, a gap, an
//! oversell, a lost acknowledgement and a double capture.

use chrono::Utc;
use domain::{
    Aggregate,
    inventory::{InventoryEvent, InventoryItem},
    payment::{Payment, PaymentEvent, PaymentMethod},
    values::{Currency, Money},
};
use runtime::log::{Counted, ItemKind, LogItem};
use schemas::{Commit, EventEnvelope, encode_event};
use uuid::Uuid;

use super::model::Model;
use crate::client::Ack;

fn envelope<A: Aggregate>(stream: &str, version: u64, event: &A::Event) -> EventEnvelope {
    let (event_type, schema, data) = encode_event::<A>(event).unwrap();
    EventEnvelope {
        event_id: Uuid::now_v7(),
        stream: stream.into(),
        version,
        event_type,
        schema,
        occurred_at: Utc::now(),
        command_id: Uuid::nil(),
        correlation_id: Uuid::nil(),
        causation_id: Uuid::nil(),
        actor: "test".into(),
        data,
    }
}

fn commit(
    command_id: Uuid,
    stream: &str,
    from_version: u64,
    events: Vec<EventEnvelope>,
) -> LogItem {
    LogItem {
        partition: 0,
        offset: 0,
        traceparent: None,
        kind: ItemKind::Counted(Counted::Commit(Commit {
            stream: stream.into(),
            from_version,
            epoch: 0,
            command_id,
            request_hash: None,
            accepted_at: Utc::now(),
            events,
        })),
    }
}

fn received(quantity: u32, on_hand: u64) -> InventoryEvent {
    InventoryEvent::StockReceived {
        quantity,
        on_hand,
        reserved: 0,
    }
}

const STREAM: &str = "inventory-SKU-1";

#[test]
fn a_clean_log_has_no_violations() {
    let mut model = Model::default();
    let id = Uuid::now_v7();
    model.apply(&commit(
        id,
        STREAM,
        1,
        vec![envelope::<InventoryItem>(STREAM, 1, &received(5, 5))],
    ));
    model.check_acks(&[Ack {
        command_id: id,
        stream: STREAM.into(),
        what: "receive",
    }]);
    assert_eq!(
        super::verdicts(&model.violations)
            .iter()
            .filter(|c| !c.passed)
            .count(),
        0
    );
}

#[test]
fn a_command_committed_twice_and_a_version_gap_are_found() {
    let mut model = Model::default();
    let id = Uuid::now_v7();
    model.apply(&commit(
        id,
        STREAM,
        1,
        vec![envelope::<InventoryItem>(STREAM, 1, &received(5, 5))],
    ));
    model.apply(&commit(
        id,
        STREAM,
        3,
        vec![envelope::<InventoryItem>(STREAM, 3, &received(5, 10))],
    ));
    model.check_acks(&[Ack {
        command_id: id,
        stream: STREAM.into(),
        what: "receive",
    }]);
    for check in [
        "command_ids_counted_once",
        "stream_versions_gap_free",
        "acked_commands_in_log_once",
    ] {
        assert!(model.violations.of(check).0 > 0, "{check} not reported");
    }
}

#[test]
fn a_lost_acknowledgement_is_found() {
    let mut model = Model::default();
    model.check_acks(&[Ack {
        command_id: Uuid::now_v7(),
        stream: STREAM.into(),
        what: "checkout",
    }]);
    let (count, examples) = model.violations.of("acked_commands_in_log_once");
    assert_eq!(count, 1);
    assert!(examples[0].starts_with("LOST"));
}

#[test]
fn stock_that_does_not_add_up_is_found() {
    let mut model = Model::default();
    // The event claims 7 on hand after receiving 5 into an empty SKU.
    model.apply(&commit(
        Uuid::now_v7(),
        STREAM,
        1,
        vec![envelope::<InventoryItem>(STREAM, 1, &received(5, 7))],
    ));
    assert!(model.violations.of("stock_conserved").0 > 0);
}

#[test]
fn a_second_capture_of_one_payment_is_found() {
    let mut model = Model::default();
    let payment_id = Uuid::now_v7();
    let stream = format!("payment-{payment_id}");
    let eur = Currency::parse("EUR").unwrap();
    let money = |minor| Money::new(minor, eur);
    let events: Vec<PaymentEvent> = vec![
        PaymentEvent::PaymentInitiated {
            payment_id,
            order_id: Uuid::now_v7(),
            amount: money(1000),
            method: PaymentMethod::Card,
            instrument_token: "4242424242424242".into(),
            idempotency_key: "k".into(),
        },
        PaymentEvent::PaymentAuthorized {
            amount: money(1000),
            provider_reference: "r".into(),
        },
        PaymentEvent::PaymentCaptured {
            amount: money(500),
            captured_total: money(500),
        },
        PaymentEvent::PaymentCaptured {
            amount: money(500),
            captured_total: money(1000),
        },
    ];
    for (version, event) in events.iter().enumerate() {
        let version = version as u64 + 1;
        model.apply(&commit(
            Uuid::now_v7(),
            &stream,
            version,
            vec![envelope::<Payment>(&stream, version, event)],
        ));
    }
    assert_eq!(model.violations.of("payment_captured_once").0, 1);
}
