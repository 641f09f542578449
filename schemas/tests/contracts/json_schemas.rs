//! Checked-in JSON Schemas agree with the code.
//!
//! The schema of each type's current version is regenerated from the Rust types and compared
//! with `json/<aggregate>/<Type>.v<N>.schema.json`. A different *shape* fails even under
//! `UPDATE_SCHEMAS=1`: the old file describes events already in the log, so the fix is a new
//! version and an upcaster, never an overwrite. A difference in docs alone is refreshed by
//! `UPDATE_SCHEMAS=1`.

use schemas::json_schema::shape;
use schemas::registry::{self, EVENT_TYPES};

use crate::support::{aggregates, assert_no_problems, files, keywords};

#[test]
fn the_checked_in_schema_of_every_current_version_matches_the_code() {
    let updating = files::updating();
    let mut problems = Vec::new();
    for contract in aggregates::all() {
        for (event_type, generated) in &contract.schemas {
            let Some(info) = registry::lookup(event_type) else {
                continue; // reported by registry_coverage
            };
            let version = info.current_schema;
            let path = files::schema_path(contract.kind, event_type, version);
            match files::read_json(&path) {
                None if updating => files::write_json(&path, generated),
                None => problems.push(format!(
                    "{event_type} v{version} has no checked-in schema at {}: run `{}=1 cargo test -p schemas`",
                    path.display(),
                    files::UPDATE_VAR
                )),
                Some(checked_in) if shape(&checked_in) != shape(generated) => problems.push(format!(
                    "shape of {event_type} changed: bump its schema version and add an upcaster \
                     ({} describes v{version} as already written to the log)",
                    path.display()
                )),
                Some(checked_in) if &checked_in != generated => {
                    if updating {
                        files::write_json(&path, generated);
                    } else {
                        problems.push(format!(
                            "docs of {event_type} v{version} changed (shape is the same): run `{}=1 cargo test -p schemas` to refresh {}",
                            files::UPDATE_VAR,
                            path.display()
                        ));
                    }
                }
                Some(_) => {}
            }
        }
    }
    assert_no_problems("schemas out of date", &problems);
}

#[test]
fn every_version_of_every_registered_type_has_a_checked_in_schema() {
    let mut problems = Vec::new();
    for info in EVENT_TYPES {
        // The current version is covered (and written on update) by the test above.
        for version in 1..info.current_schema {
            let path = files::schema_path(info.aggregate, info.event_type, version);
            if !path.is_file() {
                problems.push(format!(
                    "{} v{version} has no schema at {}: old versions must stay checked in",
                    info.event_type,
                    path.display()
                ));
            }
        }
    }
    assert_no_problems("missing old schemas", &problems);
}

#[test]
fn every_checked_in_schema_belongs_to_a_registered_type_and_version() {
    let mut problems = Vec::new();
    for file in files::list("json", ".schema.json") {
        match file {
            Err(path) => problems.push(format!(
                "{} is not named <aggregate>/<Type>.v<N>.schema.json",
                path.display()
            )),
            Ok(file) => match registry::lookup(&file.event_type) {
                Some(info)
                    if info.aggregate == file.aggregate
                        && (1..=info.current_schema).contains(&file.version) => {}
                _ => problems.push(format!(
                    "{} names no registered type and version",
                    file.path.display()
                )),
            },
        }
    }
    assert_no_problems("stray schema files", &problems);
}

#[test]
fn every_checked_in_schema_uses_only_keywords_the_test_validator_understands() {
    // A schema the validator cannot judge would make the golden checks meaningless.
    let mut problems = Vec::new();
    for file in files::list("json", ".schema.json").into_iter().flatten() {
        let Some(schema) = files::read_json(&file.path) else {
            continue;
        };
        for keyword in keywords::unsupported_keywords(&schema) {
            problems.push(format!("{}: {keyword}", file.path.display()));
        }
    }
    assert_no_problems("schemas using unsupported keywords", &problems);
}
