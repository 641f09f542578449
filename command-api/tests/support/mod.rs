//! Shared helpers for the write-path tests: a private namespace with processors and API
//! instances running as real processes, an HTTP client, and a scan of the events log.

#![allow(dead_code)]

pub mod audit;
pub mod commands;
pub mod identity;
pub mod processes;
pub mod shop;

use std::time::Duration;

use rdkafka::consumer::BaseConsumer;
use runtime::{
    log::{ItemKind, LogItem, LogReader, PartitionStart},
    testing::{ChildProcess, TestNamespace, eventually},
};
use serde_json::{Value, json};

/// A namespace with the write side running in it.
pub struct WriteSide {
    pub ns: TestNamespace,
    pub processors: Vec<ChildProcess>,
    pub apis: Vec<(ChildProcess, String)>,
    pub token: String,
    pub http: reqwest::Client,
}

impl WriteSide {
    /// Records in `agora.commands`, summed over partitions: a request that must not reach the
    /// processors leaves it unchanged.
    pub fn commands_end(&self) -> anyhow::Result<i64> {
        let topic = self.ns.kafka.topics().commands;
        let partitions = runtime::kafka::partition_count(&self.ns.kafka, &topic)?;
        let probe: BaseConsumer =
            runtime::kafka::assigned_consumer_config(&self.ns.kafka).create()?;
        Ok(runtime::kafka::high_watermarks(&probe, &topic, partitions)?
            .iter()
            .sum())
    }

    /// Creates a namespace and starts `processors` processors and `apis` API instances.
    pub async fn start(label: &str, processors: usize, apis: usize) -> anyhow::Result<Self> {
        let ns = TestNamespace::create(label).await?;
        let mut side = Self {
            token: mint_token(&ns)?,
            ns,
            processors: Vec::new(),
            apis: Vec::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        };
        for _ in 0..processors {
            side.start_processor()?;
        }
        for _ in 0..apis {
            side.start_api().await?;
        }
        Ok(side)
    }

    /// Starts one more processor.
    pub fn start_processor(&mut self) -> anyhow::Result<()> {
        self.start_processor_with(&[])
    }

    /// Starts one more processor with extra environment.
    pub fn start_processor_with(&mut self, extra: &[(&str, &str)]) -> anyhow::Result<()> {
        let mut env = vec![("AGORA_HEALTH_ADDR", "127.0.0.1:0")];
        env.extend_from_slice(extra);
        let child = self.ns.spawn("agora-processor", &[], &env)?;
        self.processors.push(child);
        Ok(())
    }

    /// Starts one more API instance and waits until it answers.
    pub async fn start_api(&mut self) -> anyhow::Result<String> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let child = self.ns.spawn(
            "agora-command-api",
            &["serve"],
            &[
                ("AGORA_COMMAND_ADDR", &addr),
                ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
            ],
        )?;
        let base = format!("http://{addr}");
        let http = self.http.clone();
        let health = format!("{base}/healthz");
        eventually(Duration::from_secs(30), "the command API to answer", || {
            let http = http.clone();
            let health = health.clone();
            async move {
                Ok(http
                    .get(&health)
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success()))
            }
        })
        .await?;
        self.apis.push((child, base.clone()));
        Ok(base)
    }

    /// Base URL of API instance `i`.
    pub fn api(&self, i: usize) -> &str {
        &self.apis[i].1
    }

    /// POSTs JSON with the admin token; returns status and body.
    pub async fn post(
        &self,
        api: usize,
        path: &str,
        body: Value,
        key: Option<&str>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.api(api)))
            .bearer_auth(&self.token)
            .json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Creates a product with one variant per SKU and returns its id.
    pub async fn create_product(&self, slug: &str, skus: &[&str]) -> anyhow::Result<String> {
        let variants: Vec<Value> = skus
            .iter()
            .map(|sku| json!({ "sku": sku, "name": sku, "price": { "amount_minor": 1500, "currency": "EUR" } }))
            .collect();
        let (status, body) = self
            .post(
                0,
                "/products",
                json!({ "name": format!("Product {slug}"), "slug": slug, "category": "tests",
                        "brand": "Agora", "variants": variants }),
                Some(&format!("create-{slug}")),
            )
            .await?;
        anyhow::ensure!(status == 200, "create failed: {status} {body}");
        Ok(body["product_id"].as_str().unwrap_or_default().to_string())
    }
}

/// Signs an admin token with the dev secret the spawned services use.
pub fn mint_token(ns: &TestNamespace) -> anyhow::Result<String> {
    let output = std::process::Command::new(runtime::testing::binary_path("agora-command-api"))
        .args(["mint-token", "--role", "admin", "--subject", "tests"])
        .envs(ns.env())
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "mint-token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

/// A port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Every record of the events log, read under the log rules up to today's end.
pub async fn scan_log(ns: &TestNamespace) -> anyhow::Result<Vec<LogItem>> {
    let topic = ns.kafka.topics().events;
    let partitions = runtime::kafka::partition_count(&ns.kafka, &topic)?;
    let probe: BaseConsumer = runtime::kafka::assigned_consumer_config(&ns.kafka).create()?;
    let ends = runtime::kafka::high_watermarks(&probe, &topic, partitions)?;
    let starts: Vec<PartitionStart> = (0..partitions).map(PartitionStart::beginning).collect();
    let mut reader = LogReader::open(&ns.kafka, &topic, &starts)?;
    let mut items = Vec::new();
    let total: i64 = ends.iter().sum();
    while (items.len() as i64) < total {
        let item = tokio::time::timeout(Duration::from_secs(20), reader.next()).await??;
        items.push(item);
    }
    // The local broker reports watermarks per record batch, not per record, so they undercount:
    // keep reading until the log has been quiet for a while.
    while let Ok(item) = tokio::time::timeout(Duration::from_millis(1500), reader.next()).await {
        items.push(item?);
    }
    Ok(items)
}

/// Events of `stream` in counted commits, in order.
pub fn counted_events(items: &[LogItem], stream: &str) -> Vec<schemas::EventEnvelope> {
    items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Counted(runtime::log::Counted::Commit(commit)) if commit.stream == stream => {
                Some(commit.events.clone())
            }
            _ => None,
        })
        .flatten()
        .collect()
}
