//! The HTTP raw rate: an axum hello-world served by a separate process (this binary's hidden
//! `hello-server` mode, so it competes for the cores as the services do), driven by the same
//! closed-loop load client and HTTP client the scenarios use.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::Context;
use axum::{Router, routing::get};
use tokio::time::Instant;

use crate::{
    load::{self, LoadResult, closed},
    services::free_port,
};

/// Serves `GET /` → `hello, world` on `addr` until killed.
pub async fn serve(addr: &str) -> anyhow::Result<()> {
    let app = Router::new().route("/", get(|| async { "hello, world" }));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// Starts the hello-world process and measures it with `clients` clients for `duration`.
pub async fn measure(
    http: &reqwest::Client,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let addr = format!("127.0.0.1:{}", free_port()?);
    let exe = std::env::current_exe().context("locating agora-bench")?;
    let mut child = Command::new(exe)
        .args(["hello-server", &addr])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .context("starting the hello-world server")?;
    let url = format!("http://{addr}/");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !http
        .get(&url)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("the hello-world server did not answer in 20 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = http.clone();
    let result = closed::run(
        clients,
        duration,
        load::op(move |_| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let response = client.get(&url).send().await?;
                anyhow::ensure!(response.status().is_success(), "{}", response.status());
                response.bytes().await?;
                Ok(())
            }
        }),
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    Ok(result)
}
