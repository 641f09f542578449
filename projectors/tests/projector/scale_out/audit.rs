//! Audits of the scale-out run: the counted log against the command API's answers, and the
//! stock totals folded from the log.

use std::collections::{BTreeMap, HashMap, HashSet};

use runtime::log::{Counted, ItemKind, LogItem};
use serde_json::Value;
use uuid::Uuid;

use super::Answer;

/// Every counted commit of `log`.
pub fn commits(log: &[LogItem]) -> impl Iterator<Item = &schemas::Commit> {
    log.iter().filter_map(|item| match &item.kind {
        ItemKind::Counted(Counted::Commit(commit)) => Some(commit),
        _ => None,
    })
}

/// Nothing lost, nothing twice: acknowledged commands counted exactly once (at their version),
/// others at most once, event ids unique, every stream's versions gap-free.
pub fn audit_log(log: &[LogItem], answers: &[Answer], later: &[(u16, Value)]) {
    let mut answered: HashMap<Uuid, usize> = HashMap::new();
    for item in log {
        if let ItemKind::Counted(counted) = &item.kind {
            *answered.entry(counted.command_id()).or_default() += 1;
        }
    }
    let versions: HashMap<Uuid, u64> = commits(log)
        .map(|c| (c.command_id, c.from_version))
        .collect();
    let acknowledged = answers
        .iter()
        .map(|a| (a.status, &a.body))
        .chain(later.iter().map(|(status, body)| (*status, body)));
    for (status, body) in acknowledged {
        let Some(id) = body["command_id"]
            .as_str()
            .and_then(|id| id.parse::<Uuid>().ok())
        else {
            continue;
        };
        let times = answered.get(&id).copied().unwrap_or(0);
        if status == 200 {
            assert_eq!(
                times, 1,
                "acknowledged command {id} is in the log {times} times"
            );
            assert_eq!(
                Some(versions[&id]),
                body["version"].as_u64(),
                "{id}: at the acknowledged version"
            );
        } else {
            assert!(times <= 1, "command {id} is in the log {times} times");
        }
    }
    let mut ids = HashSet::new();
    let mut streams: HashMap<&str, Vec<u64>> = HashMap::new();
    for commit in commits(log) {
        for event in &commit.events {
            assert!(
                ids.insert(event.event_id),
                "event id {} twice",
                event.event_id
            );
            streams
                .entry(&commit.stream)
                .or_default()
                .push(event.version);
        }
    }
    for (stream, versions) in &streams {
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, &expected, "{stream}: versions gap-free");
    }
    let zombies = log
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Zombie { .. }))
        .count();
    eprintln!(
        "log: {} records, {} events, {zombies} zombie writes skipped",
        log.len(),
        ids.len()
    );
}

/// On hand per SKU and the stock movement event ids, folded from the log.
pub fn fold_stock(log: &[LogItem]) -> (BTreeMap<String, i64>, HashSet<Uuid>) {
    let mut on_hand = BTreeMap::new();
    let mut movements = HashSet::new();
    for commit in commits(log) {
        let Some(sku) = commit.stream.strip_prefix("inventory-") else {
            continue;
        };
        for event in &commit.events {
            let change = match event.event_type.as_str() {
                "StockReceived" => event.data["quantity"].as_i64(),
                "StockAdjusted" => event.data["delta"].as_i64(),
                _ => None,
            };
            if let Some(change) = change {
                *on_hand.entry(sku.to_string()).or_default() += change;
                movements.insert(event.event_id);
            }
        }
    }
    (on_hand, movements)
}
