//! The registry lists exactly the variants of the domain's event enums.

use std::collections::BTreeSet;

use schemas::catalog::aggregate_kinds;
use schemas::registry::{self, EVENT_TYPES};

use crate::support::{aggregates, assert_no_problems, files};

#[test]
fn every_variant_of_every_event_enum_has_a_registry_entry() {
    let mut problems = Vec::new();
    for contract in aggregates::all() {
        for event_type in contract.schemas.keys() {
            match registry::lookup(event_type) {
                None => problems.push(format!(
                    "{} event {event_type} is not in the registry: add it at schema version 1",
                    contract.kind
                )),
                Some(info) if info.aggregate != contract.kind => problems.push(format!(
                    "{event_type} is a {} event but is registered under {}",
                    contract.kind, info.aggregate
                )),
                Some(_) => {}
            }
        }
    }
    assert_no_problems("unregistered event types", &problems);
}

#[test]
fn every_registry_entry_is_a_variant_of_its_aggregates_event_enum() {
    let contracts = aggregates::all();
    let mut problems = Vec::new();
    for info in EVENT_TYPES {
        let known = contracts
            .iter()
            .find(|contract| contract.kind == info.aggregate)
            .is_some_and(|contract| contract.schemas.contains_key(info.event_type));
        if !known {
            problems.push(format!(
                "registry entry {} ({}) matches no variant of that aggregate's event enum",
                info.event_type, info.aggregate
            ));
        }
    }
    assert_no_problems("stale registry entries", &problems);
}

/// A new aggregate module in the domain must be added to `schemas::catalog` too, or none of its
/// events would be checked.
#[test]
fn the_catalog_lists_as_many_aggregates_as_the_domain_has_event_modules() {
    let event_modules: BTreeSet<String> = std::fs::read_dir(files::domain_src())
        .expect("domain/src is readable")
        .flatten()
        .filter(|entry| entry.path().join("events.rs").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let kinds = aggregate_kinds();
    assert_eq!(
        event_modules.len(),
        kinds.len(),
        "domain modules with events.rs {event_modules:?} vs aggregates in schemas::catalog {kinds:?}"
    );
}

#[test]
fn every_aggregate_in_the_catalog_appears_once() {
    let kinds = aggregate_kinds();
    let unique: BTreeSet<_> = kinds.iter().collect();
    assert_eq!(unique.len(), kinds.len(), "{kinds:?}");
}
