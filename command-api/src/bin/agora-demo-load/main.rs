//! `agora-demo-load`: fills a running stack with a demo catalog through the command API.
//!
//! Creates `AGORA_DEMO_PRODUCTS` products (default 1000) with one to three variants each,
//! receives stock for every SKU and publishes most products. Idempotency keys are derived from
//! the product number, so running it again changes nothing. Talks to
//! `AGORA_COMMAND_API_URL` (default `http://127.0.0.1:8080`) with a staff token signed by the
//! configured secret. Then runs a scripted checkout (see `checkout.rs`) unless
//! `AGORA_DEMO_CHECKOUT=0`.

mod checkout;

use std::{process::ExitCode, time::Instant};

use command_api::auth::{AUDIENCE, Claims, Keys, Role};
use futures::{StreamExt, stream};
use runtime::config::{env_parse, env_string};
use serde_json::{Value, json};

const CATEGORIES: [&str; 8] = [
    "socks", "shirts", "jackets", "shoes", "hats", "bags", "scarves", "gloves",
];
const BRANDS: [&str; 10] = [
    "Northwind",
    "Alder",
    "Copperline",
    "Fjord",
    "Lumen",
    "Oakridge",
    "Pebble",
    "Quarry",
    "Rook",
    "Saltmarsh",
];
const MATERIALS: [&str; 6] = ["wool", "cotton", "linen", "leather", "canvas", "merino"];
const COLOURS: [&str; 7] = ["black", "navy", "olive", "rust", "sand", "grey", "white"];
const SIZES: [&str; 3] = ["S", "M", "L"];

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("demo-load");
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agora-demo-load: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let base = env_string("AGORA_COMMAND_API_URL", "http://127.0.0.1:8080");
    let products: usize = env_parse("AGORA_DEMO_PRODUCTS", 1000)?;
    let concurrency: usize = env_parse("AGORA_DEMO_CONCURRENCY", 16)?;
    let config = command_api::config::ApiConfig::from_env()?;
    let token = Keys::from_secret(&config.jwt_secret).sign(&Claims {
        sub: "demo-loader".into(),
        role: Role::Staff,
        aud: AUDIENCE.into(),
        exp: chrono::Utc::now().timestamp() + 3600,
    })?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()?;
    let started = Instant::now();
    let results: Vec<anyhow::Result<usize>> = stream::iter(0..products)
        .map(|n| load_product(&client, &base, &token, n))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut commands = 0;
    let mut failures = 0;
    for result in results {
        match result {
            Ok(count) => commands += count,
            Err(error) => {
                failures += 1;
                if failures <= 5 {
                    eprintln!("demo product failed: {error:#}");
                }
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "demo catalog: {products} products, {commands} commands in {elapsed:.1}s ({:.0} commands/s), {failures} failures",
        commands as f64 / elapsed.max(0.001)
    );
    anyhow::ensure!(
        failures == 0,
        "{failures} demo products could not be loaded"
    );
    if env_string("AGORA_DEMO_CHECKOUT", "1") != "0" {
        checkout::run(&client, &base).await?;
    }
    Ok(())
}

/// Creates, stocks and (mostly) publishes product `n`; returns the number of commands sent.
async fn load_product(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    n: usize,
) -> anyhow::Result<usize> {
    let category = CATEGORIES[n % CATEGORIES.len()];
    let brand = BRANDS[(n / 3) % BRANDS.len()];
    let material = MATERIALS[(n / 7) % MATERIALS.len()];
    let colour = COLOURS[(n / 2) % COLOURS.len()];
    let singular = category.trim_end_matches('s');
    let name = format!("{brand} {colour} {material} {singular} {n:04}");
    let slug = format!("{}-{n:04}", name.to_lowercase().replace(' ', "-"));
    let variant_count = 1 + n % 3;
    let price = 900 + ((n * 37) % 120) as i64 * 50;
    let variants: Vec<Value> = (0..variant_count)
        .map(|v| {
            json!({
                "sku": format!("DEMO-{n:05}-{}", SIZES[v]),
                "name": format!("Size {}", SIZES[v]),
                "price": { "amount_minor": price + v as i64 * 200, "currency": "EUR" },
                "attributes": { "size": SIZES[v], "colour": colour },
            })
        })
        .collect();
    let body = json!({
        "name": name,
        "slug": slug,
        "description": format!("A {colour} {material} {singular} by {brand}, made to last."),
        "category": category,
        "brand": brand,
        "attributes": { "material": material, "colour": colour },
        "variants": variants,
        "low_stock_threshold": 5,
    });
    let created = post(
        client,
        base,
        token,
        "/products",
        &body,
        &format!("demo-create-{n}"),
    )
    .await?;
    let product_id = created["product_id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("create answered without product_id: {created}"))?
        .to_string();
    let mut commands = 1 + variant_count;
    for (v, size) in SIZES.iter().enumerate().take(variant_count) {
        let sku = format!("DEMO-{n:05}-{size}");
        let quantity = 3 + (n * 13 + v * 7) % 120;
        post(
            client,
            base,
            token,
            &format!("/inventory/{sku}/receive"),
            &json!({ "quantity": quantity }),
            &format!("demo-receive-{sku}"),
        )
        .await?;
        commands += 1;
    }
    if n % 10 != 9 {
        post(
            client,
            base,
            token,
            &format!("/products/{product_id}/publish"),
            &json!({}),
            &format!("demo-publish-{n}"),
        )
        .await?;
        commands += 1;
    }
    Ok(commands)
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
    key: &str,
) -> anyhow::Result<Value> {
    let response = client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    // A replayed publish of an already published product is a conflict, which is fine here.
    if status.is_success() || body["error"]["code"] == "already_published" {
        Ok(body)
    } else {
        anyhow::bail!("{path}: {status} {body}")
    }
}
