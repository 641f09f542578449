//! The scripted checkout of the demo: a customer registers, fills a cart, checks out and pays,
//! through the same HTTP endpoints a storefront uses. Printed step by step so the README's
//! walk-through can be followed in the terminal.

use std::time::Duration;

use serde_json::{Value, json};

/// Runs the walk-through against `base`; returns the order id.
pub async fn run(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    println!("\nscripted checkout:");
    // Each run buys again: the cart, checkout and payment keys are new per run, while the
    // registration key is fixed so a second run signs the same shopper in.
    let run = uuid::Uuid::now_v7();
    let registered = call(
        client,
        base,
        None,
        "/auth/register",
        json!({ "email": "demo.shopper@agora.example", "password": "correct horse battery", "display_name": "Demo Shopper" }),
        Some("demo-register"),
        None,
    )
    .await?;
    let token = registered["access_token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("register answered without a token: {registered}"))?
        .to_string();
    println!(
        "  1. registered demo.shopper@agora.example (customer {})",
        registered["customer_id"]
    );

    let cart = call(
        client,
        base,
        Some(&token),
        "/carts/mine",
        json!({}),
        None,
        None,
    )
    .await?;
    let cart_id = cart["cart_id"].as_str().unwrap_or_default().to_string();
    let mut consistency = None;
    for (sku, quantity) in [("DEMO-00001-S", 1), ("DEMO-00002-M", 2)] {
        // The catalog read model may still be catching up with the demo load: retry briefly.
        let mut attempts = 0;
        let added = loop {
            match call(
                client,
                base,
                Some(&token),
                &format!("/carts/{cart_id}/lines"),
                json!({ "sku": sku, "quantity": quantity }),
                Some(&format!("demo-add-{run}-{sku}")),
                None,
            )
            .await
            {
                Ok(added) => break added,
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    tracing::debug!(%error, "cart line not accepted yet");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => return Err(error),
            }
        };
        consistency = added["consistency_token"].as_str().map(str::to_string);
        println!("  2. added {quantity} × {sku} to cart {cart_id}");
    }

    let placed = call(
        client,
        base,
        Some(&token),
        "/checkout",
        json!({ "shipping_address": { "recipient": "Demo Shopper", "line1": "1 Market Street", "city": "Lisbon", "postal_code": "1100-148", "country": "PT" } }),
        Some(&format!("demo-checkout-{run}")),
        consistency.as_deref(),
    )
    .await?;
    let order_id = placed["order_id"].as_str().unwrap_or_default().to_string();
    println!(
        "  3. checked out: order {order_id} is {} (total {})",
        placed["status"], placed["total"]
    );

    let paid = call(
        client,
        base,
        Some(&token),
        &format!("/orders/{order_id}/payments"),
        json!({ "instrument_token": "4242424242424242" }),
        Some(&format!("demo-pay-{run}")),
        placed["consistency_token"].as_str(),
    )
    .await?;
    println!(
        "  4. paid with the approving test card: payment {} is {}",
        paid["payment_id"], paid["payment_status"]
    );
    Ok(order_id)
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    path: &str,
    body: Value,
    key: Option<&str>,
    consistency: Option<&str>,
) -> anyhow::Result<Value> {
    let mut request = client.post(format!("{base}{path}")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    if let Some(consistency) = consistency {
        request = request.header("x-consistency-token", consistency);
    }
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        anyhow::bail!("{path}: {status} {body}")
    }
}
