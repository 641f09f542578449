//! The checked-in schema (`query-api/schema.graphql`) is the one the code serves.
//!
//! Clients generate code from the checked-in file, so a schema change must show up in review
//! as a diff of that file. After an intended change, regenerate it with
//! `AGORA_WRITE_SDL=1 cargo test -p query-api --test sdl` and commit the result.

use std::path::Path;

#[test]
fn checked_in_sdl_matches_the_schema_the_code_serves() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let generated = query_api::schema::sdl();
    if std::env::var("AGORA_WRITE_SDL").is_ok_and(|value| value == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is out of date: regenerate it with \
         `AGORA_WRITE_SDL=1 cargo test -p query-api --test sdl`\n\n{}",
        path.display(),
        first_difference(&checked_in, &generated)
    );
}

/// The first differing line, so the failure says what changed.
fn first_difference(old: &str, new: &str) -> String {
    let mut old_lines = old.lines();
    let mut new_lines = new.lines();
    for number in 1.. {
        match (old_lines.next(), new_lines.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                return format!(
                    "line {number}:\n  checked in: {}\n  generated:  {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                );
            }
        }
    }
    "files differ".to_string()
}
