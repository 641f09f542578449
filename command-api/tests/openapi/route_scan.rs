//! Completeness: the operation table against the `.route("…", …)` registrations in `src/`.

use std::{collections::BTreeSet, path::Path};

use command_api::openapi::{model::Method, operations::OPERATIONS};

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comment lines (docs may mention `.route(` in prose).
fn code_of(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The argument list of the call whose `(` ends at `open` (exclusive of both parens).
fn call_arguments(source: &str, open: usize) -> &str {
    let mut depth = 1;
    for (offset, c) in source[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &source[open..open + offset];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after byte {open}")
}

/// The methods an axum `MethodRouter` expression routes: `get(…)`, `axum::routing::patch(…)`,
/// chained `.delete(…)`, …
fn methods_in(expression: &str) -> Vec<&'static str> {
    let bytes = expression.as_bytes();
    let mut found = Vec::new();
    for method in ["get", "post", "put", "patch", "delete"] {
        let call = format!("{method}(");
        let mut from = 0;
        while let Some(at) = expression[from..].find(&call) {
            let start = from + at;
            let standalone = start == 0
                || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
            if standalone {
                found.push(method);
            }
            from = start + call.len();
        }
    }
    found
}

/// Every `(method, path)` registered with `.route("…", …)` anywhere in `src/`.
fn registered_routes() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for file in files {
        let source = code_of(&file);
        // A nested router would prefix paths this scan cannot see.
        assert!(
            !source.contains(".nest(") && !source.contains(".route_service("),
            "{}: nested routers are not understood by this check",
            file.display()
        );
        let mut from = 0;
        while let Some(at) = source[from..].find(".route(") {
            let open = from + at + ".route(".len();
            let arguments = call_arguments(&source, open);
            let rest = arguments.trim_start();
            let path = rest
                .strip_prefix('"')
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("{}: a route path is not a literal", file.display()));
            let methods = methods_in(&rest[path.len() + 2..]);
            assert!(
                !methods.is_empty(),
                "{}: no method for {path}",
                file.display()
            );
            for method in methods {
                assert!(
                    routes.insert((method.to_string(), path.to_string())),
                    "{method} {path} is registered twice"
                );
            }
            from = open + arguments.len();
        }
    }
    routes
}

fn method_name(method: Method) -> String {
    method.as_str().to_string()
}

#[test]
fn every_registered_route_is_documented_and_every_documented_one_is_registered() {
    let registered = registered_routes();
    let documented: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|op| (method_name(op.method), op.path.to_string()))
        .collect();
    assert_eq!(
        documented.len(),
        OPERATIONS.len(),
        "an operation is listed twice"
    );
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "registered but not documented: {undocumented:?}\ndocumented but not registered: {unrouted:?}"
    );
    // The scan itself found the routes (a broken scan would make both sides empty).
    assert!(registered.contains(&("post".into(), "/products".into())));
    assert!(registered.contains(&("delete".into(), "/products/{id}".into())));
}

#[test]
fn the_route_scan_reads_chained_and_qualified_methods() {
    assert_eq!(
        methods_in(r#""/x", axum::routing::patch(a::update).delete(a::delete)"#),
        ["patch", "delete"]
    );
    assert_eq!(methods_in(r#""/x", get(health::get_ready)"#), ["get"]);
}
