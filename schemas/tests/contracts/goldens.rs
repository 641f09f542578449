//! Golden examples: one full envelope per event type and schema version, checked in under
//! `golden/<aggregate>/<Type>.v<N>.json`.
//!
//! Each must validate against its version's schema, decode (through upcasting) into the domain
//! event, and, at the current version, encode back to exactly the same payload. Old versions'
//! goldens are how a replay of an old log is tested.

use schemas::registry::{self, EVENT_TYPES};
use schemas::{EventEnvelope, upcast};

use crate::support::files::{self, ContractFile};
use crate::support::{aggregates, assert_no_problems, skeleton, validate};

/// Every golden file, parsed as an envelope. Misnamed or unparsable files are problems.
fn goldens(problems: &mut Vec<String>) -> Vec<(ContractFile, EventEnvelope)> {
    let mut out = Vec::new();
    for file in files::list("golden", ".json") {
        let file = match file {
            Ok(file) => file,
            Err(path) => {
                problems.push(format!(
                    "{} is not named <aggregate>/<Type>.v<N>.json",
                    path.display()
                ));
                continue;
            }
        };
        let Some(json) = files::read_json(&file.path) else {
            continue;
        };
        match serde_json::from_value::<EventEnvelope>(json) {
            Ok(envelope) => out.push((file, envelope)),
            Err(err) => problems.push(format!(
                "{} is not an event envelope: {err}",
                file.path.display()
            )),
        }
    }
    out
}

#[test]
fn every_version_of_every_registered_type_has_a_golden() {
    let updating = files::updating();
    let mut problems = Vec::new();
    for info in EVENT_TYPES {
        for version in 1..=info.current_schema {
            let path = files::golden_path(info.aggregate, info.event_type, version);
            if path.is_file() {
                continue;
            }
            // The current version's schema may not be on disk yet in the same update run.
            let schema = files::read_json(&files::schema_path(
                info.aggregate,
                info.event_type,
                version,
            ))
            .or_else(|| {
                let mut contract = aggregates::by_kind(info.aggregate)?;
                let generated = contract.schemas.remove(info.event_type);
                generated.filter(|_| version == info.current_schema)
            });
            match schema {
                Some(schema) if updating => {
                    files::write_json(
                        &path,
                        &skeleton::envelope(info.aggregate, info.event_type, version, &schema),
                    );
                    problems.push(format!(
                        "wrote a skeleton golden at {}: replace its placeholders with realistic values",
                        path.display()
                    ));
                }
                _ => problems.push(format!(
                    "{} v{version} has no golden at {}",
                    info.event_type,
                    path.display()
                )),
            }
        }
    }
    assert_no_problems("missing goldens", &problems);
}

#[test]
fn every_golden_is_an_envelope_of_the_type_and_version_its_file_name_says() {
    let mut problems = Vec::new();
    for (file, envelope) in goldens(&mut problems) {
        let name = file.path.display();
        if envelope.event_type != file.event_type || envelope.schema != file.version {
            problems.push(format!(
                "{name} holds {} v{}, not {} v{}",
                envelope.event_type, envelope.schema, file.event_type, file.version
            ));
        }
        match registry::lookup(&envelope.event_type) {
            Some(info)
                if info.aggregate == file.aggregate
                    && (1..=info.current_schema).contains(&envelope.schema) => {}
            _ => problems.push(format!(
                "{name} names no registered type and version of {}",
                file.aggregate
            )),
        }
        if !envelope.stream.starts_with(&format!("{}-", file.aggregate)) {
            problems.push(format!(
                "{name}: stream {} is not a {} stream",
                envelope.stream, file.aggregate
            ));
        }
        if envelope.version == 0 {
            problems.push(format!("{name}: stream versions start at 1"));
        }
        if envelope.event_id.get_version_num() != 7 {
            problems.push(format!("{name}: event_id is not a UUIDv7"));
        }
    }
    assert_no_problems("malformed goldens", &problems);
}

#[test]
fn every_golden_payload_validates_against_its_checked_in_schema() {
    let mut problems = Vec::new();
    for (file, envelope) in goldens(&mut problems) {
        let schema_path = files::schema_path(&file.aggregate, &file.event_type, file.version);
        let Some(schema) = files::read_json(&schema_path) else {
            problems.push(format!(
                "{} has no schema at {}",
                file.path.display(),
                schema_path.display()
            ));
            continue;
        };
        for err in validate::validate(&schema, &envelope.data) {
            problems.push(format!("{} data{err}", file.path.display()));
        }
    }
    assert_no_problems("goldens that break their schema", &problems);
}

#[test]
fn every_golden_decodes_and_re_encodes_to_its_current_payload() {
    let mut problems = Vec::new();
    for (file, envelope) in goldens(&mut problems) {
        let name = file.path.display();
        let Some(contract) = aggregates::by_kind(&file.aggregate) else {
            problems.push(format!(
                "{name}: no aggregate {} in schemas::catalog",
                file.aggregate
            ));
            continue;
        };
        let expected = match upcast(&envelope.event_type, envelope.schema, envelope.data.clone()) {
            Ok(current) => current,
            Err(err) => {
                problems.push(format!("{name}: {err}"));
                continue;
            }
        };
        let current_version = registry::current_schema(&envelope.event_type).unwrap_or(0);
        match (contract.reencode)(&envelope) {
            Ok((event_type, version, data)) => {
                if event_type != envelope.event_type || version != current_version {
                    problems.push(format!("{name}: re-encoded as {event_type} v{version}"));
                }
                if data != expected {
                    problems.push(format!(
                        "{name}: re-encoded payload differs (fields lost, renamed or defaulted?)\n    expected {expected}\n    found    {data}"
                    ));
                }
            }
            Err(err) => problems.push(format!("{name}: {err}")),
        }
        if envelope.schema == current_version && expected != envelope.data {
            problems.push(format!("{name}: upcasting a current payload changed it"));
        }
    }
    assert_no_problems("goldens that do not round-trip", &problems);
}

#[test]
fn upcast_old_goldens_validate_against_the_current_schema() {
    let mut problems = Vec::new();
    for (file, envelope) in goldens(&mut problems) {
        let Some(info) = registry::lookup(&envelope.event_type) else {
            continue; // reported by the envelope test
        };
        if envelope.schema >= info.current_schema {
            continue;
        }
        let Some(schema) = files::read_json(&files::schema_path(
            info.aggregate,
            info.event_type,
            info.current_schema,
        )) else {
            continue; // reported by json_schemas
        };
        match upcast(&envelope.event_type, envelope.schema, envelope.data.clone()) {
            Ok(data) => {
                for err in validate::validate(&schema, &data) {
                    problems.push(format!(
                        "{} upcast to v{}: data{err}",
                        file.path.display(),
                        info.current_schema
                    ));
                }
            }
            Err(err) => problems.push(format!("{}: {err}", file.path.display())),
        }
    }
    assert_no_problems("old goldens that upcast to invalid payloads", &problems);
}
