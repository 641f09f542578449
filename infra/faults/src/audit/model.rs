//! The incremental fold of the counted log: stream versions, event ids, command ids, and one
//! tracker per inventory, order, payment and coupon stream.

use std::collections::{BTreeMap, HashMap, HashSet};

use domain::{coupon::Coupon, inventory::InventoryItem, order::Order, payment::Payment};
use runtime::log::{Counted, ItemKind, LogItem};
use schemas::{Commit, EventEnvelope, decode_event};
use serde::Serialize;
use uuid::Uuid;

use super::{
    Violations,
    aggregates::{OrderTrack, PaymentTrack, Stock, apply_coupon},
};
use crate::client::Ack;

/// How a command id was answered in the counted log.
#[derive(Debug, Clone)]
pub struct Answered {
    /// Stream of the first record.
    pub stream: String,
    /// Counted records carrying it.
    pub records: u32,
    /// The first record was a commit (not a rejection).
    pub commit: bool,
}

/// Totals of what the log held, for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LogTotals {
    /// Records read.
    pub records: u64,
    /// Counted commits.
    pub commits: u64,
    /// Counted rejections.
    pub rejections: u64,
    /// Ownership markers (one per partition takeover).
    pub markers: u64,
    /// Zombie writes skipped under the log rules.
    pub zombies: u64,
    /// Events in counted commits.
    pub events: u64,
}

/// The folded log.
#[derive(Debug, Default)]
pub struct Model {
    /// Totals.
    pub totals: LogTotals,
    /// Violations found so far.
    pub violations: Violations,
    event_ids: HashSet<Uuid>,
    /// Command id → how it was answered.
    pub answered: HashMap<Uuid, Answered>,
    versions: HashMap<String, u64>,
    /// SKU → stock tracker.
    pub stock: BTreeMap<String, Stock>,
    /// Order id → tracker.
    pub orders: HashMap<Uuid, OrderTrack>,
    /// Payment id → tracker.
    pub payments: HashMap<Uuid, PaymentTrack>,
    /// Coupon code → state.
    pub coupons: HashMap<String, Coupon>,
}

impl Model {
    /// Folds one record read under the log rules.
    pub fn apply(&mut self, item: &LogItem) {
        self.totals.records += 1;
        match &item.kind {
            ItemKind::Counted(counted) => {
                self.answer(counted);
                match counted {
                    Counted::Commit(commit) => self.commit(commit),
                    Counted::Rejection(_) => self.totals.rejections += 1,
                }
            }
            ItemKind::Marker { .. } => self.totals.markers += 1,
            ItemKind::Zombie { .. } => self.totals.zombies += 1,
            // The audit's reader decodes every aggregate; an undecoded commit is a reader bug.
            ItemKind::Elsewhere { aggregate } => self.violations.add(
                "no_poison_records",
                format!(
                    "partition {} offset {}: a {aggregate} commit was not decoded",
                    item.partition, item.offset
                ),
            ),
            ItemKind::Poison { error, .. } => self.violations.add(
                "no_poison_records",
                format!(
                    "partition {} offset {}: {error}",
                    item.partition, item.offset
                ),
            ),
        }
    }

    fn answer(&mut self, counted: &Counted) {
        let entry = self
            .answered
            .entry(counted.command_id())
            .or_insert_with(|| Answered {
                stream: counted.stream().to_string(),
                records: 0,
                commit: matches!(counted, Counted::Commit(_)),
            });
        entry.records += 1;
        if entry.records > 1 {
            self.violations.add(
                "command_ids_counted_once",
                format!(
                    "command {} answered {} times (stream {})",
                    counted.command_id(),
                    entry.records,
                    entry.stream
                ),
            );
        }
    }

    fn commit(&mut self, commit: &Commit) {
        self.totals.commits += 1;
        let last = self.versions.get(&commit.stream).copied().unwrap_or(0);
        if !commit.events.is_empty() && commit.from_version != last + 1 {
            self.violations.add(
                "stream_versions_gap_free",
                format!(
                    "{}: commit from v{} after v{last} (command {})",
                    commit.stream, commit.from_version, commit.command_id
                ),
            );
        }
        let mut expected = commit.from_version;
        for event in &commit.events {
            self.totals.events += 1;
            if event.version != expected || event.stream != commit.stream {
                self.violations.add(
                    "stream_versions_gap_free",
                    format!(
                        "{}: event {} is {} v{}, expected v{expected}",
                        commit.stream, event.event_id, event.stream, event.version
                    ),
                );
            }
            expected = event.version + 1;
            if !self.event_ids.insert(event.event_id) {
                self.violations.add(
                    "event_ids_unique",
                    format!("{} in {}", event.event_id, commit.stream),
                );
            }
            self.event(event);
        }
        if let Some(event) = commit.events.last() {
            self.versions
                .insert(commit.stream.clone(), event.version.max(last));
        }
    }

    fn event(&mut self, envelope: &EventEnvelope) {
        let stream = envelope.stream.as_str();
        let Some((kind, id)) = stream.split_once('-') else {
            return;
        };
        let v = &mut self.violations;
        let undecodable = |v: &mut Violations, error: schemas::DecodeError| {
            v.add(
                "no_poison_records",
                format!("{stream} v{}: {error}", envelope.version),
            );
        };
        match kind {
            "inventory" => match decode_event::<InventoryItem>(envelope) {
                Ok(event) => self
                    .stock
                    .entry(id.to_string())
                    .or_default()
                    .apply(id, envelope, &event, v),
                Err(error) => undecodable(v, error),
            },
            "order" => match (decode_event::<Order>(envelope), id.parse::<Uuid>()) {
                (Ok(event), Ok(order_id)) => self
                    .orders
                    .entry(order_id)
                    .or_default()
                    .apply(stream, &event, v),
                (Err(error), _) => undecodable(v, error),
                (_, Err(_)) => v.add("no_poison_records", format!("{stream}: not an order id")),
            },
            "payment" => match (decode_event::<Payment>(envelope), id.parse::<Uuid>()) {
                (Ok(event), Ok(payment_id)) => self
                    .payments
                    .entry(payment_id)
                    .or_default()
                    .apply(stream, &event, v),
                (Err(error), _) => undecodable(v, error),
                (_, Err(_)) => v.add("no_poison_records", format!("{stream}: not a payment id")),
            },
            "coupon" => match decode_event::<Coupon>(envelope) {
                Ok(event) => apply_coupon(
                    self.coupons.entry(id.to_string()).or_default(),
                    stream,
                    envelope,
                    &event,
                    v,
                ),
                Err(error) => undecodable(v, error),
            },
            _ => {}
        }
    }

    /// Checks every acknowledged command against the log: one counted commit, on its stream.
    pub fn check_acks(&mut self, acks: &[Ack]) {
        for ack in acks {
            match self.answered.get(&ack.command_id) {
                None => self.violations.add(
                    "acked_commands_in_log_once",
                    format!(
                        "LOST: {} {} on {} acknowledged but not in the log",
                        ack.what, ack.command_id, ack.stream
                    ),
                ),
                Some(answered) if !answered.commit || answered.stream != ack.stream => {
                    self.violations.add(
                        "acked_commands_in_log_once",
                        format!(
                            "{} {}: acknowledged on {}, the log has a {} on {}",
                            ack.what,
                            ack.command_id,
                            ack.stream,
                            if answered.commit {
                                "commit"
                            } else {
                                "rejection"
                            },
                            answered.stream
                        ),
                    )
                }
                Some(answered) if answered.records != 1 => self.violations.add(
                    "acked_commands_in_log_once",
                    format!(
                        "{} {}: {} counted records",
                        ack.what, ack.command_id, answered.records
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    /// Orders per status, for the summary.
    pub fn order_statuses(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for track in self.orders.values() {
            *counts
                .entry(format!("{:?}", track.order.status()).to_lowercase())
                .or_default() += 1;
        }
        counts
    }

    /// Payments per status, for the summary.
    pub fn payment_statuses(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for track in self.payments.values() {
            *counts
                .entry(format!("{:?}", track.payment.status()).to_lowercase())
                .or_default() += 1;
        }
        counts
    }
}
