//! The load generator: shoppers register, fill a cart (sometimes with the coupon), check out and
//! pay with approving, declining or failing test cards, sometimes cancel; staff refund, ship and
//! deliver paid orders; a stock clerk receives and adjusts stock. Every worker has its own
//! seeded choices and runs until the load window closes.

use std::{sync::Arc, time::Duration};

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    catalog::{COUPON, Catalog},
    client::{Answer, Client, Request},
    rng::Rng,
};

/// Test cards of the simulated provider: approve, decline, fail transiently.
const APPROVE: &str = "4242424242424242";
const DECLINE: &str = "4000000000000002";
const FAIL: &str = "4000000000000119";
/// Checkouts a registered customer makes before the worker registers a new one.
const ORDERS_PER_CUSTOMER: u32 = 4;

/// What the load workers share.
pub struct Shop {
    /// The HTTP client with its counters and ledger.
    pub client: Client,
    /// Staff token.
    pub admin: String,
    /// What is for sale.
    pub catalog: Catalog,
}

struct Customer {
    token: String,
    orders: u32,
}

/// One shopper's loop until `until`.
pub async fn shopper(shop: Arc<Shop>, worker: usize, seed: u64, until: tokio::time::Instant) {
    let mut rng = Rng::fork(seed, worker as u64 + 1);
    let mut customer: Option<Customer> = None;
    while tokio::time::Instant::now() < until {
        if customer
            .as_ref()
            .is_none_or(|c| c.orders >= ORDERS_PER_CUSTOMER)
        {
            customer = register(&shop, worker).await;
        }
        let Some(current) = customer.as_mut() else {
            continue;
        };
        current.orders += 1;
        let token = current.token.clone();
        checkout(&shop, worker, &mut rng, &token).await;
        if rng.percent(30) {
            shop.client.read(&token).await;
        }
    }
}

fn request<'a>(
    method: Method,
    path: String,
    body: Value,
    bearer: &'a str,
    what: &'static str,
) -> Request<'a> {
    Request {
        method,
        path,
        body,
        bearer: Some(bearer),
        consistency: None,
        what,
    }
}

async fn register(shop: &Shop, worker: usize) -> Option<Customer> {
    let email = format!("shopper-{}@faults.example", uuid::Uuid::new_v4().simple());
    let body = json!({ "email": email, "password": "correct horse battery staple", "display_name": "Fault Shopper" });
    let answer = shop
        .client
        .command(
            worker,
            Request {
                method: Method::POST,
                path: "/auth/register".into(),
                body,
                bearer: None,
                consistency: None,
                what: "register",
            },
        )
        .await;
    match answer {
        Answer::Ok(body) => body["access_token"].as_str().map(|token| Customer {
            token: token.to_string(),
            orders: 0,
        }),
        _ => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            None
        }
    }
}

/// One checkout from an empty cart to whatever the dice say.
async fn checkout(shop: &Shop, worker: usize, rng: &mut Rng, token: &str) {
    let client = &shop.client;
    let Answer::Ok(cart) = client
        .command(
            worker,
            request(Method::POST, "/carts/mine".into(), json!({}), token, "cart"),
        )
        .await
    else {
        return;
    };
    let Some(cart_id) = cart["cart_id"].as_str().map(str::to_string) else {
        return;
    };
    let mut consistency = None;
    for _ in 0..rng.between(1, 3) {
        let Some(sku) = rng.pick(&shop.catalog.skus).cloned() else {
            return;
        };
        let body = json!({ "sku": sku, "quantity": rng.between(1, 2) });
        if let Answer::Ok(added) = client
            .command(
                worker,
                request(
                    Method::POST,
                    format!("/carts/{cart_id}/lines"),
                    body,
                    token,
                    "add_line",
                ),
            )
            .await
        {
            consistency = added["consistency_token"].as_str().map(str::to_string);
        }
    }
    if rng.percent(20)
        && let Answer::Ok(applied) = client
            .command(
                worker,
                request(
                    Method::PUT,
                    format!("/carts/{cart_id}/coupon"),
                    json!({ "code": COUPON }),
                    token,
                    "coupon",
                ),
            )
            .await
    {
        consistency = applied["consistency_token"].as_str().map(str::to_string);
    }
    let mut place = request(
        Method::POST,
        "/checkout".into(),
        json!({ "shipping_address": { "recipient": "Ada Lovelace", "line1": "1 Analytical Row",
                 "city": "London", "postal_code": "N1", "country": "GB" } }),
        token,
        "checkout",
    );
    place.consistency = consistency.as_deref();
    let Answer::Ok(placed) = client.command(worker, place).await else {
        return;
    };
    let (Some(order_id), Some(order_token)) = (
        placed["order_id"].as_str(),
        placed["consistency_token"].as_str(),
    ) else {
        return;
    };
    if placed["status"] == "rejected" || rng.percent(8) {
        return; // rejected, or an abandoned checkout whose reservations will expire
    }
    if rng.percent(7) {
        cancel(shop, worker, order_id, token).await;
        return;
    }
    let mut paid = false;
    for card_try in 0..2 {
        let card = match rng.below(10) {
            0..=6 => APPROVE,
            7 | 8 => DECLINE,
            _ => FAIL,
        };
        let card = if card_try > 0 { APPROVE } else { card };
        match pay(shop, worker, order_id, order_token, token, card).await {
            Some(status) if status == "captured" => {
                paid = true;
                break;
            }
            Some(_) if rng.percent(50) => continue,
            _ => break,
        }
    }
    if paid {
        after_payment(shop, worker, rng, order_id, &placed["total"], token).await;
    }
}

/// Pays; waits out a read model that has not seen the confirmation yet. Returns the payment status.
async fn pay(
    shop: &Shop,
    worker: usize,
    order_id: &str,
    order_token: &str,
    token: &str,
    card: &str,
) -> Option<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut attempt = request(
            Method::POST,
            format!("/orders/{order_id}/payments"),
            json!({ "instrument_token": card }),
            token,
            "pay",
        );
        attempt.consistency = Some(order_token);
        match shop.client.command(worker, attempt).await {
            Answer::Ok(body) => return body["payment_status"].as_str().map(str::to_string),
            Answer::Refused(409, body)
                if body.to_string().contains("placed")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            _ => return None,
        }
    }
}

async fn cancel(shop: &Shop, worker: usize, order_id: &str, token: &str) {
    shop.client
        .command(
            worker,
            request(
                Method::POST,
                format!("/orders/{order_id}/cancel"),
                json!({}),
                token,
                "cancel",
            ),
        )
        .await;
}

/// A paid order: sometimes cancelled by the customer, refunded by staff, or shipped.
async fn after_payment(
    shop: &Shop,
    worker: usize,
    rng: &mut Rng,
    order_id: &str,
    total: &Value,
    token: &str,
) {
    let admin = shop.admin.as_str();
    match rng.below(100) {
        0..=11 => cancel(shop, worker, order_id, token).await,
        12..=29 => {
            let full = total["amount_minor"].as_i64().unwrap_or(0);
            let amount = if rng.percent(50) {
                full
            } else {
                (full / 2).max(1)
            };
            let body = json!({ "amount": { "amount_minor": amount, "currency": total["currency"] },
                               "reason": "fault suite refund" });
            shop.client
                .command(
                    worker,
                    request(
                        Method::POST,
                        format!("/orders/{order_id}/refund"),
                        body,
                        admin,
                        "refund",
                    ),
                )
                .await;
        }
        30..=49 => {
            let body = json!({ "carrier": "Faults Post", "tracking_number": format!("FP{}", rng.below(1_000_000)) });
            if let Answer::Ok(_) = shop
                .client
                .command(
                    worker,
                    request(
                        Method::POST,
                        format!("/orders/{order_id}/ship"),
                        body,
                        admin,
                        "ship",
                    ),
                )
                .await
                && rng.percent(60)
            {
                shop.client
                    .command(
                        worker,
                        request(
                            Method::POST,
                            format!("/orders/{order_id}/deliver"),
                            json!({}),
                            admin,
                            "deliver",
                        ),
                    )
                    .await;
            }
        }
        _ => {}
    }
}

/// The stock clerk: receives and adjusts stock on random SKUs until `until`.
pub async fn stock_clerk(shop: Arc<Shop>, worker: usize, seed: u64, until: tokio::time::Instant) {
    let mut rng = Rng::fork(seed, 1000 + worker as u64);
    let admin = shop.admin.clone();
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(rng.between(400, 1500))).await;
        let Some(sku) = rng.pick(&shop.catalog.skus).cloned() else {
            return;
        };
        let (path, body, what) = if rng.percent(60) {
            (
                format!("/inventory/{sku}/receive"),
                json!({ "quantity": rng.between(1, 3) }),
                "receive",
            )
        } else {
            let delta = if rng.percent(50) { 1 } else { -1 };
            (
                format!("/inventory/{sku}/adjust"),
                json!({ "delta": delta, "reason": "fault suite cycle count" }),
                "adjust",
            )
        };
        shop.client
            .command(worker, request(Method::POST, path, body, &admin, what))
            .await;
    }
}
