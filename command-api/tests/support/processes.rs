//! Service binaries as child processes of a test, and reading their JSON endpoints.

use std::process::Stdio;

use runtime::testing::{TestNamespace, binary_path};
use serde_json::Value;
use tokio::process::{Child, Command};

/// Starts a workspace binary in `ns` with `extra` environment; killed when dropped.
pub fn spawn(ns: &TestNamespace, binary: &str, args: &[&str], extra: &[(&str, &str)]) -> Child {
    let mut command = Command::new(binary_path(binary));
    command
        .args(args)
        .envs(ns.env())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (key, value) in extra {
        command.env(key, value);
    }
    command
        .spawn()
        .expect("build the binaries: cargo build --workspace --bins")
}

/// GETs `url`; status and JSON body (`Null` when not JSON).
pub async fn get_json(http: &reqwest::Client, url: &str) -> anyhow::Result<(u16, Value)> {
    let response = http.get(url).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}
