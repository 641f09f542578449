//! Checkout end to end: carts, orders, payments, refunds, expiry and access rules, with every
//! service running as its own process against the real broker and Postgres (the flash sale is in
//! `flash_sale.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use reqwest::Method;
use runtime::log::{Counted, ItemKind, LogItem};
use serde_json::json;
use support::{
    audit::{audit_stock, order_outcomes},
    counted_events, scan_log,
    shop::{Shop, address},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_with_one_line_out_of_stock_is_rejected_and_the_other_lines_are_released() {
    let shop = Shop::start("checkout-oos", 1, 1).await.unwrap();
    let product = shop
        .stocked_product("oos-kit", &[("OOS-A", 10), ("OOS-B", 1)])
        .await
        .unwrap();
    shop.wait_for_sale(&product).await.unwrap();
    let shopper = shop.shopper();
    let (status, body) = shop
        .buy(&shopper, 0, &[("OOS-A", 2), ("OOS-B", 3)])
        .await
        .unwrap();
    assert!(matches!(status, 200 | 202), "{status} {body}");
    let order_stream = body["stream"].as_str().unwrap().to_string();

    let log = runtime::testing::eventually(
        Duration::from_secs(60),
        "the order to be rejected and released",
        || {
            let ns = shop.side.ns.clone();
            let order_stream = order_stream.clone();
            async move {
                let log = scan_log(&ns).await?;
                let rejected = order_outcomes(&log)
                    .get(&order_stream)
                    .is_some_and(|s| s == "rejected");
                let released = counted_events(&log, "inventory-OOS-A")
                    .iter()
                    .any(|e| e.event_type == "ReservationReleased");
                Ok((rejected && released).then_some(log))
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(
        audit_stock(&log, "OOS-A"),
        (10, 0),
        "the reserved line went back"
    );
    assert_eq!(audit_stock(&log, "OOS-B"), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_touch_another_customers_cart_order_or_payment() {
    let shop = Shop::start("checkout-isolation", 1, 1).await.unwrap();
    let product = shop
        .stocked_product("iso-mug", &[("ISO-1", 5)])
        .await
        .unwrap();
    shop.wait_for_sale(&product).await.unwrap();
    let (alice, mallory) = (shop.shopper(), shop.shopper());
    let (status, body) = shop.buy(&alice, 0, &[("ISO-1", 1)]).await.unwrap();
    assert!(matches!(status, 200 | 202), "{status} {body}");
    let order_id = body["order_id"].as_str().unwrap().to_string();

    let alice_cart = command_api::http::routes::carts::customer_cart_id(alice.customer_id);
    let (status, body) = shop
        .call(
            &mallory,
            0,
            Method::POST,
            &format!("/carts/{alice_cart}/lines"),
            json!({ "sku": "ISO-1", "quantity": 1 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    let (status, body) = shop
        .call(
            &mallory,
            0,
            Method::POST,
            "/checkout",
            json!({ "cart_id": alice_cart, "shipping_address": address() }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    let (status, body) = runtime::testing::eventually(
        Duration::from_secs(30),
        "the order in the read model",
        || {
            let shop = &shop;
            let mallory = mallory.clone();
            let order_id = order_id.clone();
            async move {
                let answer = shop
                    .call(
                        &mallory,
                        0,
                        Method::POST,
                        &format!("/orders/{order_id}/cancel"),
                        json!({}),
                        None,
                    )
                    .await?;
                Ok((answer.0 != 503).then_some(answer))
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(
        status, 404,
        "another customer's order is not disclosed: {body}"
    );
    let (status, body) = shop
        .call(
            &mallory,
            0,
            Method::POST,
            &format!("/orders/{order_id}/payments"),
            json!({ "instrument_token": "4242424242424242" }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 404, "nor can another customer pay for it: {body}");
    let (status, body) = shop
        .call(
            &alice,
            0,
            Method::POST,
            &format!("/orders/{order_id}/cancel"),
            json!({}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "the owner may cancel: {body}");
}

/// Polls the log until `stream`'s order reaches `status`; returns the log.
async fn until_order(shop: &Shop, stream: &str, status: &str) -> Vec<LogItem> {
    runtime::testing::eventually(
        Duration::from_secs(60),
        &format!("{stream} to be {status}"),
        || {
            let ns = shop.side.ns.clone();
            async move {
                let log = scan_log(&ns).await?;
                Ok(order_outcomes(&log)
                    .get(stream)
                    .is_some_and(|s| s == status)
                    .then_some(log))
            }
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_customer_pays_after_a_declined_card_and_a_full_refund_returns_money_and_stock()
 {
    let shop = Shop::start("checkout-pay", 1, 1).await.unwrap();
    let product = shop
        .stocked_product("pay-lamp", &[("PAY-1", 5), ("PAY-2", 5)])
        .await
        .unwrap();
    shop.wait_for_sale(&product).await.unwrap();
    let shopper = shop
        .registered_shopper("lamp.buyer@example.com")
        .await
        .unwrap();
    let (status, body) = shop
        .buy(&shopper, 0, &[("PAY-1", 2), ("PAY-2", 1)])
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "confirmed", "{body}");
    let order_id = body["order_id"].as_str().unwrap().to_string();
    let stream = body["stream"].as_str().unwrap().to_string();
    let token = body["consistency_token"].as_str().map(str::to_string);

    let pay = |card: &'static str| {
        let shop = &shop;
        let shopper = shopper.clone();
        let order_id = order_id.clone();
        let token = token.clone();
        async move {
            shop.call(
                &shopper,
                0,
                Method::POST,
                &format!("/orders/{order_id}/payments"),
                json!({ "instrument_token": card }),
                token.as_deref(),
            )
            .await
            .unwrap()
        }
    };
    let (status, body) = pay("4000000000000002").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["payment_status"], "declined", "{body}");
    let (status, body) = pay("4242424242424242").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["payment_status"], "captured", "{body}");

    let log = until_order(&shop, &stream, "paid").await;
    let log =
        runtime::testing::eventually(Duration::from_secs(30), "stock to be committed", || {
            let ns = shop.side.ns.clone();
            let log = log.clone();
            async move {
                let fresh = scan_log(&ns).await?;
                let committed = counted_events(&fresh, "inventory-PAY-2")
                    .iter()
                    .any(|e| e.event_type == "StockCommitted");
                let _ = &log;
                Ok(committed.then_some(fresh))
            }
        })
        .await
        .unwrap();
    assert_eq!(
        audit_stock(&log, "PAY-1"),
        (3, 0),
        "two units left the shelf"
    );
    assert_eq!(audit_stock(&log, "PAY-2"), (4, 0));

    // A full refund by staff returns the money through the payment and the goods to stock.
    let (status, body) = shop
        .side
        .post(
            0,
            &format!("/orders/{order_id}/refund"),
            json!({ "amount": { "amount_minor": 4500, "currency": "EUR" }, "reason": "returned" }),
            Some("refund-1"),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    runtime::testing::eventually(Duration::from_secs(60), "the refund to reach the payment and the stock", || {
        let ns = shop.side.ns.clone();
        async move {
            let log = scan_log(&ns).await?;
            let restocked = counted_events(&log, "inventory-PAY-1").iter().any(|e| e.event_type == "StockRestocked");
            let refunded = log.iter().any(|i| matches!(&i.kind, ItemKind::Counted(Counted::Commit(c))
                if c.stream.starts_with("payment-") && c.events.iter().any(|e| e.event_type == "PaymentRefunded")));
            Ok((restocked && refunded).then_some(()))
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_never_paid_is_cancelled_when_its_reservation_expires_and_the_stock_returns() {
    let side = support::WriteSide::start("checkout-expiry", 0, 1)
        .await
        .unwrap();
    let mut side = side;
    side.start_processor_with(&[("AGORA_EXPIRY_TICK_MS", "200")])
        .unwrap();
    let projector = side
        .ns
        .spawn(
            "agora-projector",
            &["run"],
            &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
        )
        .unwrap();
    let saga = side
        .ns
        .spawn(
            "agora-saga",
            &[],
            &[
                ("AGORA_HEALTH_ADDR", "127.0.0.1:0"),
                ("AGORA_RESERVATION_TTL_MS", "1500"),
            ],
        )
        .unwrap();
    let shop = Shop {
        side,
        projector,
        saga,
    };
    let product = shop
        .stocked_product("exp-vase", &[("EXP-1", 3)])
        .await
        .unwrap();
    shop.wait_for_sale(&product).await.unwrap();
    let shopper = shop.shopper();
    let (status, body) = shop.buy(&shopper, 0, &[("EXP-1", 2)]).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let stream = body["stream"].as_str().unwrap().to_string();
    let log = until_order(&shop, &stream, "cancelled").await;
    let log = runtime::testing::eventually(
        Duration::from_secs(30),
        "the expired stock to be back",
        || {
            let ns = shop.side.ns.clone();
            let _ = &log;
            async move {
                let fresh = scan_log(&ns).await?;
                let expired = counted_events(&fresh, "inventory-EXP-1")
                    .iter()
                    .any(|e| e.event_type == "ReservationExpired");
                Ok(expired.then_some(fresh))
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(
        audit_stock(&log, "EXP-1"),
        (3, 0),
        "nothing reserved, nothing sold"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cart_merges_into_the_customers_cart_after_sign_in_and_checks_out() {
    let shop = Shop::start("checkout-merge", 1, 1).await.unwrap();
    let product = shop
        .stocked_product("merge-tea", &[("TEA-1", 5)])
        .await
        .unwrap();
    shop.wait_for_sale(&product).await.unwrap();
    let http = &shop.side.http;
    let base = shop.side.api(0).to_string();

    // As a guest: a cart whose id is the guest's cart token.
    let guest: serde_json::Value = http
        .post(format!("{base}/carts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let guest_cart = guest["cart_id"].as_str().unwrap().to_string();
    let added: serde_json::Value = http
        .post(format!("{base}/carts/{guest_cart}/lines"))
        .json(&json!({ "sku": "TEA-1", "quantity": 2 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = added["consistency_token"].as_str().unwrap().to_string();

    // Signed in: merge the guest cart into the customer's own cart, then check out.
    let shopper = shop
        .registered_shopper("guest.turned.customer@example.com")
        .await
        .unwrap();
    let (status, body) = shop
        .call(&shopper, 0, Method::POST, "/carts/mine", json!({}), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let own_cart = body["cart_id"].as_str().unwrap().to_string();
    let (status, body) = shop
        .call(
            &shopper,
            0,
            Method::POST,
            &format!("/carts/{own_cart}/merge"),
            json!({ "guest_cart_id": guest_cart }),
            Some(&token),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let merged = body["consistency_token"].as_str().map(str::to_string);
    let (status, body) = shop
        .call(
            &shopper,
            0,
            Method::POST,
            "/checkout",
            json!({ "shipping_address": address() }),
            merged.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "confirmed", "{body}");
    assert_eq!(
        body["total"],
        json!({ "amount_minor": 3000, "currency": "EUR" })
    );

    // Another customer cannot merge someone else's cart into theirs, nor a customer's cart.
    let other = shop.shopper();
    let (status, _) = shop
        .call(
            &other,
            0,
            Method::POST,
            &format!("/carts/{own_cart}/merge"),
            json!({ "guest_cart_id": guest_cart }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_retried_after_its_cart_was_emptied_gets_the_order_it_placed() {
    let shop = Shop::start("checkout-retry", 1, 1).await.unwrap();
    let product = shop
        .stocked_product("retry-mug", &[("MUG-1", 5)])
        .await
        .unwrap();
    shop.wait_for_sale(&product).await.unwrap();
    let shopper = shop
        .registered_shopper("retrying.buyer@example.com")
        .await
        .unwrap();
    let (status, body) = shop
        .call(&shopper, 0, Method::POST, "/carts/mine", json!({}), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let cart_id: uuid::Uuid = body["cart_id"].as_str().unwrap().parse().unwrap();
    let (status, body) = shop
        .call(
            &shopper,
            0,
            Method::POST,
            &format!("/carts/{cart_id}/lines"),
            json!({ "sku": "MUG-1", "quantity": 2 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let token = body["consistency_token"].as_str().unwrap().to_string();

    let checkout = |key: &'static str, token: Option<String>| {
        let request = shop
            .side
            .http
            .post(format!("{}/checkout", shop.side.api(0)))
            .bearer_auth(&shopper.token)
            .header("idempotency-key", key)
            .json(&json!({ "shipping_address": address() }));
        let request = match token {
            Some(token) => request.header("x-consistency-token", token),
            None => request,
        };
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, first) = checkout("checkout-once", Some(token)).await;
    assert_eq!(status, 200, "{first}");

    // The reply is "lost"; by the time the client retries, the order emptied the cart and the
    // read models show both.
    let pool = sqlx::PgPool::connect(&shop.side.ns.database_url)
        .await
        .unwrap();
    let order_id: uuid::Uuid = first["order_id"].as_str().unwrap().parse().unwrap();
    runtime::testing::eventually(
        Duration::from_secs(30),
        "the emptied cart and the order in the read models",
        || {
            let pool = pool.clone();
            async move {
                let lines: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM cart_lines WHERE cart_id = $1")
                        .bind(cart_id)
                        .fetch_one(&pool)
                        .await?;
                let orders: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM orders WHERE order_id = $1")
                        .bind(order_id)
                        .fetch_one(&pool)
                        .await?;
                Ok((lines == 0 && orders == 1).then_some(()))
            }
        },
    )
    .await
    .unwrap();

    let (status, retried) = checkout("checkout-once", None).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["order_id"], first["order_id"]);
    assert_eq!(retried["command_id"], first["command_id"]);
    assert_eq!(retried["version"], first["version"]);

    // A new key on the empty cart is a new request, and the cart really is empty.
    let (status, fresh) = checkout("checkout-twice", None).await;
    assert_eq!(status, 422, "{fresh}");
    assert_eq!(
        fresh["error"]["details"]["fields"]["cart_id"],
        "the cart is empty"
    );
}
