//! Schemathesis against the running command API: property-based requests generated from its own
//! OpenAPI document (`/openapi.json`), valid and invalid, on every operation, with an admin
//! token so protected operations are exercised past authentication.
//!
//! Checks (see `infra/hostile/schemathesis.sh`): no 5xx, status codes, content types, headers
//! and bodies as documented, and the error envelope on every 4xx. The number of test cases
//! schemathesis generated is printed and must reach a floor, so a run that silently tested
//! nothing fails.
//!
//! Needs python3 with venv and PyPI on first run (the script installs a pinned schemathesis
//! into `.stack/venv`); without python3 the test fails loudly rather than passing. Build the
//! binaries first: `cargo build -p command-api --bins`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{path::Path, time::Instant};

use command_api::auth::{AUDIENCE, Claims, DEV_SECRET, Keys, Role};
use support::WriteSide;

/// Examples per operation and phase: ≈ 2,600 cases in ≈ 35 s on two cores (40 took 68 s).
const MAX_EXAMPLES: &str = "20";
/// Fixed, so a failure reproduces with the same inputs.
const SEED: &str = "20261122";
/// Fewer cases than this means schemathesis skipped most of the document.
const MIN_CASES: u64 = 2000;

/// The number before `generated` on schemathesis' summary line, e.g.
/// `Test cases:  1180 generated, 1180 passed`.
fn generated_cases(output: &str) -> Option<u64> {
    output.lines().find_map(|line| {
        let (count, rest) = line.trim().split_once(' ')?;
        if rest.starts_with("generated") {
            count.parse().ok()
        } else {
            None
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    assert!(
        python.is_ok_and(|out| out.status.success()),
        "python3 is missing: the schemathesis suite cannot run (Debian: apt-get install python3 \
         python3-venv); this is a failure, not a skip"
    );
    let side = WriteSide::start("schemathesis", 1, 1).await.unwrap();
    // The read models the API looks carts, orders and accounts up in.
    let _projector = side
        .ns
        .spawn(
            "agora-projector",
            &["run"],
            &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
        )
        .unwrap();
    // Something to find: a product with a SKU, so generated SKUs and ids sometimes hit state.
    side.create_product("schemathesis-mug", &["ST-1"])
        .await
        .unwrap();
    // An admin whose subject is an account id, so the caller's own routes (`/me/...`,
    // `/carts/mine`) get past "needs a customer account" too.
    let token = Keys::from_secret(DEV_SECRET)
        .sign(&Claims {
            sub: uuid::Uuid::new_v4().to_string(),
            role: Role::Admin,
            aud: AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 3600,
        })
        .unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/hostile/schemathesis.sh");
    let started = Instant::now();
    let output = tokio::process::Command::new(&script)
        .args(["run", side.api(0), &token, MAX_EXAMPLES, SEED])
        .output()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let cases = generated_cases(&stdout)
        .unwrap_or_else(|| panic!("no case count in schemathesis' output:\n{stdout}"));
    eprintln!(
        "schemathesis: {cases} cases in {:.1} s",
        elapsed.as_secs_f64()
    );
    assert!(
        cases >= MIN_CASES,
        "only {cases} cases generated:\n{stdout}"
    );
}
