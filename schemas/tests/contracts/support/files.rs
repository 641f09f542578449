//! Where the checked-in contract files live, and reading and writing them.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The environment variable that lets the tests write missing or doc-only-changed files.
pub const UPDATE_VAR: &str = "UPDATE_SCHEMAS";

/// Whether the run may write contract files.
pub fn updating() -> bool {
    std::env::var(UPDATE_VAR).is_ok_and(|value| !value.is_empty() && value != "0")
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `json/<aggregate>/<Type>.v<N>.schema.json`
pub fn schema_path(aggregate: &str, event_type: &str, version: u32) -> PathBuf {
    crate_dir()
        .join("json")
        .join(aggregate)
        .join(format!("{event_type}.v{version}.schema.json"))
}

/// `golden/<aggregate>/<Type>.v<N>.json`
pub fn golden_path(aggregate: &str, event_type: &str, version: u32) -> PathBuf {
    crate_dir()
        .join("golden")
        .join(aggregate)
        .join(format!("{event_type}.v{version}.json"))
}

/// The `domain` crate's source directory.
pub fn domain_src() -> PathBuf {
    crate_dir().join("..").join("domain").join("src")
}

/// Reads a JSON file; `None` when it does not exist, a panic naming the file when it is broken.
pub fn read_json(path: &Path) -> Option<Value> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => panic!("cannot read {}: {err}", path.display()),
    };
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(err) => panic!("{} is not valid JSON: {err}", path.display()),
    }
}

/// Writes `value` pretty-printed with a trailing newline, creating directories as needed.
pub fn write_json(path: &Path, value: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
    }
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|err| panic!("cannot render JSON: {err}"));
    text.push('\n');
    std::fs::write(path, text)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
}

/// A checked-in contract file, parsed from its path: `<aggregate>/<Type>.v<N>.<suffix>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ContractFile {
    /// The directory name: the aggregate kind.
    pub aggregate: String,
    /// The event type.
    pub event_type: String,
    /// The schema version.
    pub version: u32,
    /// The full path.
    pub path: PathBuf,
}

/// Every file under `<crate>/<top>/` ending in `suffix` (`.schema.json` or `.json`), parsed.
/// A file whose name does not follow the pattern is reported as `Err(path)`.
pub fn list(top: &str, suffix: &str) -> Vec<Result<ContractFile, PathBuf>> {
    let mut out = Vec::new();
    let Ok(aggregates) = std::fs::read_dir(crate_dir().join(top)) else {
        return out;
    };
    for aggregate_dir in aggregates.flatten() {
        let aggregate = aggregate_dir.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(aggregate_dir.path()) else {
            out.push(Err(aggregate_dir.path()));
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            let name = file.file_name().to_string_lossy().into_owned();
            let parsed = name
                .strip_suffix(suffix)
                .filter(|stem| suffix != ".json" || !stem.ends_with(".schema"))
                .and_then(|stem| stem.rsplit_once(".v"))
                .and_then(|(event_type, version)| {
                    Some((event_type.to_owned(), version.parse().ok()?))
                });
            out.push(match parsed {
                Some((event_type, version)) => Ok(ContractFile {
                    aggregate: aggregate.clone(),
                    event_type,
                    version,
                    path,
                }),
                None => Err(path),
            });
        }
    }
    out.sort();
    out
}
