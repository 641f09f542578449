//! Customers, orders, carts, notifications, coupons and projection bookkeeping written
//! straight into the read models, and access tokens minted exactly as command-api mints them
//! (HS256, `sub`, `role`, `aud = "agora"`, `exp`).

use anyhow::Context;
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use query_api::{auth::DEV_SECRET, startup::router};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use super::{TestApp, send};

/// Alice, a customer with two orders, a cart and mail.
pub const ALICE: Uuid = Uuid::from_u128(0xA11CE);
/// Bob, another customer with one order.
pub const BOB: Uuid = Uuid::from_u128(0xB0B);
/// A staff member.
pub const STAFF: Uuid = Uuid::from_u128(0x57AFF);
/// Alice's paid order.
pub const ALICE_PAID: Uuid = Uuid::from_u128(0x0A01);
/// Alice's open order (stock reserved).
pub const ALICE_OPEN: Uuid = Uuid::from_u128(0x0A02);
/// Bob's cancelled order.
pub const BOB_CANCELLED: Uuid = Uuid::from_u128(0x0B01);
/// Alice's payment of her paid order.
pub const ALICE_PAYMENT: Uuid = Uuid::from_u128(0x0C01);
/// Alice's cart.
pub const ALICE_CART: Uuid = Uuid::from_u128(0x0D01);
/// A guest cart.
pub const GUEST_CART: Uuid = Uuid::from_u128(0x0D02);

/// The claims command-api signs.
#[derive(serde::Serialize)]
struct Claims<'a> {
    sub: String,
    role: &'a str,
    aud: &'a str,
    exp: i64,
}

/// A token with every knob: who, which role, which audience, expiring `expires_in` seconds
/// from now (negative: already expired), signed with `secret`.
pub fn mint_with(
    account: Uuid,
    role: &str,
    aud: &str,
    expires_in: i64,
    secret: &str,
) -> anyhow::Result<String> {
    let claims = Claims {
        sub: account.to_string(),
        role,
        aud,
        exp: Utc::now().timestamp() + expires_in,
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// A valid 15-minute token for `account` with `role`, as command-api issues it.
pub fn token(account: Uuid, role: &str) -> anyhow::Result<String> {
    mint_with(account, role, "agora", 900, DEV_SECRET)
}

/// Runs a query with `Authorization: <authorization>` when given; returns status and body.
pub async fn query_with(
    app: &TestApp,
    authorization: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<(StatusCode, Value)> {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(authorization) = authorization {
        request = request.header(header::AUTHORIZATION, authorization);
    }
    let (status, body) = send(router(app.state.clone()), request.body(Body::from(body))?).await?;
    let body = serde_json::from_str(&body).with_context(|| format!("not JSON: {body}"))?;
    Ok((status, body))
}

/// Runs a query as the bearer of `token`; the status must be 200.
pub async fn query_as(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let (status, body) =
        query_with(app, Some(&format!("Bearer {token}")), query, variables).await?;
    anyhow::ensure!(status == StatusCode::OK, "status {status}: {body}");
    Ok(body)
}

/// 2024-05-`day` at `hour`:00 UTC.
pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

fn address(recipient: &str) -> Value {
    json!({"recipient": recipient, "line1": "Hauptstr. 1", "line2": "", "city": "Berlin",
           "postal_code": "10115", "region": "", "country": "DE"})
}

/// Writes the commerce fixtures (on top of the catalog, whose SKUs the lines use).
pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    seed_customers(pool).await?;
    seed_orders(pool).await?;
    seed_carts_and_mail(pool).await?;
    seed_admin_tables(pool).await?;
    Ok(())
}

async fn seed_customers(pool: &PgPool) -> anyhow::Result<()> {
    let home = Uuid::from_u128(0xADD1);
    let mut alice_home = address("Alice Example");
    alice_home["address_id"] = json!(home);
    let customers = [
        (
            ALICE,
            "alice@example.com",
            "Alice",
            "customer",
            json!([alice_home]),
            Some(home),
            1,
            8980,
            at(1, 9),
        ),
        (
            BOB,
            "bob@example.com",
            "Bob",
            "customer",
            json!([]),
            None,
            0,
            0,
            at(1, 10),
        ),
        (
            STAFF,
            "staff@agora.test",
            "Stella Staff",
            "staff",
            json!([]),
            None,
            0,
            0,
            at(1, 8),
        ),
    ];
    for (id, email, name, role, addresses, default, count, value, created) in customers {
        sqlx::query(
            "INSERT INTO customers (customer_id, email, display_name, password_hash, role,
                 addresses, default_address_id, order_count, lifetime_value_minor,
                 created_at, updated_at, stream_version)
             VALUES ($1, $2, $3, 'not-a-hash', $4, $5, $6, $7, $8, $9, $9, 1)",
        )
        .bind(id)
        .bind(email)
        .bind(name)
        .bind(role)
        .bind(addresses)
        .bind(default)
        .bind(count)
        .bind(value as i64)
        .bind(created)
        .execute(pool)
        .await
        .context("inserting a customer")?;
    }
    Ok(())
}

async fn seed_orders(pool: &PgPool) -> anyhow::Result<()> {
    // (order, customer, status, subtotal, discount, coupon, payment, paid, placed, paid_at)
    let orders = [
        (
            ALICE_PAID,
            ALICE,
            "paid",
            13380,
            1338,
            Some("SPRING10"),
            Some(ALICE_PAYMENT),
            12042,
            at(2, 12),
            Some(at(2, 13)),
        ),
        (
            ALICE_OPEN,
            ALICE,
            "confirmed",
            6900,
            0,
            None,
            None,
            0,
            at(5, 9),
            None,
        ),
        (
            BOB_CANCELLED,
            BOB,
            "cancelled",
            1990,
            0,
            None,
            None,
            0,
            at(3, 15),
            None,
        ),
    ];
    for (id, customer, status, subtotal, discount, coupon, payment, paid, placed, paid_at) in orders
    {
        sqlx::query(
            "INSERT INTO orders (order_id, customer_id, status, subtotal_minor, discount_minor,
                 total_minor, currency, coupon_code, coupon_redeemed, shipping_address,
                 payment_id, payment_status, paid_minor, placed_at, paid_at, updated_at,
                 cancel_reason, stream_version)
             VALUES ($1, $2, $3, $4, $5, $4 - $5, 'EUR', $6, $6 IS NOT NULL, $7, $8,
                 CASE WHEN $8::uuid IS NULL THEN NULL ELSE 'captured' END, $9, $10, $11,
                 coalesce($11, $10), CASE WHEN $3 = 'cancelled' THEN 'changed my mind' END, 3)",
        )
        .bind(id)
        .bind(customer)
        .bind(status)
        .bind(subtotal as i64)
        .bind(discount as i64)
        .bind(coupon)
        .bind(address(if customer == ALICE {
            "Alice Example"
        } else {
            "Bob"
        }))
        .bind(payment)
        .bind(paid as i64)
        .bind(placed)
        .bind(paid_at)
        .execute(pool)
        .await
        .context("inserting an order")?;
    }
    // (order, line, sku, product, quantity, unit price, state)
    let lines = [
        (ALICE_PAID, 1, "SCARF-RED", 1, 2, 2990, "reserved"),
        (ALICE_PAID, 2, "SNK-42", 2, 1, 7400, "reserved"),
        (ALICE_OPEN, 1, "SNK-40", 2, 1, 6900, "reserved"),
        (BOB_CANCELLED, 1, "TEE-M", 3, 1, 1990, "pending"),
    ];
    for (order, line, sku, product, quantity, price, state) in lines {
        sqlx::query(
            "INSERT INTO order_lines (order_id, line, sku, product_id, quantity, unit_price_minor,
                 currency, state) VALUES ($1, $2, $3, $4, $5, $6, 'EUR', $7)",
        )
        .bind(order)
        .bind(line)
        .bind(sku)
        .bind(Uuid::from_u128(product))
        .bind(quantity)
        .bind(price as i64)
        .bind(state)
        .execute(pool)
        .await
        .context("inserting an order line")?;
    }
    let history = [
        (ALICE_PAID, 1, "placed", at(2, 12), json!({})),
        (ALICE_PAID, 2, "confirmed", at(2, 12), json!({})),
        (
            ALICE_PAID,
            3,
            "paid",
            at(2, 13),
            json!({"amount_minor": 12042}),
        ),
        (ALICE_OPEN, 1, "placed", at(5, 9), json!({})),
        (ALICE_OPEN, 2, "confirmed", at(5, 9), json!({})),
        (BOB_CANCELLED, 1, "placed", at(3, 15), json!({})),
        (
            BOB_CANCELLED,
            2,
            "cancelled",
            at(3, 16),
            json!({"reason": "changed my mind"}),
        ),
    ];
    for (order, version, status, occurred, detail) in history {
        sqlx::query(
            "INSERT INTO order_status_history (order_id, version, status, occurred_at, detail)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(order)
        .bind(version as i64)
        .bind(status)
        .bind(occurred)
        .bind(detail)
        .execute(pool)
        .await
        .context("inserting order history")?;
    }
    sqlx::query(
        "INSERT INTO payments (payment_id, order_id, status, amount_minor, authorized_minor,
             captured_minor, currency, method, provider_reference, initiated_at, updated_at,
             stream_version)
         VALUES ($1, $2, 'captured', 12042, 12042, 12042, 'EUR', 'card', 'sim-1', $3, $4, 3)",
    )
    .bind(ALICE_PAYMENT)
    .bind(ALICE_PAID)
    .bind(at(2, 12))
    .bind(at(2, 13))
    .execute(pool)
    .await
    .context("inserting a payment")?;
    Ok(())
}

async fn seed_carts_and_mail(pool: &PgPool) -> anyhow::Result<()> {
    for (cart, owner) in [(ALICE_CART, Some(ALICE)), (GUEST_CART, None)] {
        sqlx::query(
            "INSERT INTO carts (cart_id, customer_id, created_at, updated_at, stream_version)
             VALUES ($1, $2, $3, $3, 2)",
        )
        .bind(cart)
        .bind(owner)
        .bind(at(6, 8))
        .execute(pool)
        .await
        .context("inserting a cart")?;
    }
    let lines = [
        (ALICE_CART, "SOCK-42", 5, 3, 1490),
        (GUEST_CART, "TEE-S", 3, 2, 1990),
    ];
    for (cart, sku, product, quantity, price) in lines {
        sqlx::query(
            "INSERT INTO cart_lines (cart_id, sku, product_id, quantity, unit_price_minor, currency)
             VALUES ($1, $2, $3, $4, $5, 'EUR')",
        )
        .bind(cart)
        .bind(sku)
        .bind(Uuid::from_u128(product))
        .bind(quantity)
        .bind(price as i64)
        .execute(pool)
        .await
        .context("inserting a cart line")?;
    }
    let mail = [
        (
            0xE1,
            "welcome",
            Some(ALICE),
            None,
            "Welcome to Agora",
            at(1, 9),
            "sent",
        ),
        (
            0xE2,
            "order_confirmed",
            Some(ALICE),
            Some(ALICE_PAID),
            "Order confirmed",
            at(2, 12),
            "sent",
        ),
        (
            0xE3,
            "order_cancelled",
            Some(BOB),
            Some(BOB_CANCELLED),
            "Order cancelled",
            at(3, 16),
            "pending",
        ),
        (
            0xE4,
            "low_stock",
            None,
            None,
            "Low stock: SNK-42",
            at(4, 8),
            "sent",
        ),
    ];
    for (id, kind, customer, order, subject, created, status) in mail {
        sqlx::query(
            "INSERT INTO notifications (notification_id, kind, customer_id, subject, body,
                 event_id, order_id, created_at, status, sent_at)
             VALUES ($1, $2, $3, $4, $4 || '.', $1, $5, $6, $7,
                 CASE WHEN $7 = 'sent' THEN $6 END)",
        )
        .bind(Uuid::from_u128(id))
        .bind(kind)
        .bind(customer)
        .bind(subject)
        .bind(order)
        .bind(created)
        .bind(status)
        .execute(pool)
        .await
        .context("inserting a notification")?;
    }
    Ok(())
}

async fn seed_admin_tables(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO coupons (code, kind, value, valid_from, valid_until, global_limit,
             per_customer_limit, redemptions, created_at, updated_at, stream_version)
         VALUES ('SPRING10', 'percentage', 1000, $1, $2, 100, 1, 1, $1, $1, 2),
                ('WELCOME5', 'fixed_amount', 500, $1, $2, NULL, NULL, 0, $1, $1, 1)",
    )
    .bind(at(1, 0))
    .bind(at(31, 0))
    .execute(pool)
    .await
    .context("inserting coupons")?;
    sqlx::query(
        "INSERT INTO coupon_redemptions (code, order_id, customer_id, status, discount_minor,
             updated_at) VALUES ('SPRING10', $1, $2, 'active', 1338, $3)",
    )
    .bind(ALICE_PAID)
    .bind(ALICE)
    .bind(at(2, 12))
    .execute(pool)
    .await
    .context("inserting a redemption")?;
    let epoch = Uuid::from_u128(0xE90C);
    sqlx::query(
        "INSERT INTO dead_letter_redrives (log_epoch, projection, partition, \"offset\", event_id,
             redriven_at, outcome) VALUES ($1, 'orders', 2, 41, $2, $3, 'applied 1 event')",
    )
    .bind(epoch)
    .bind(Uuid::from_u128(0xEE))
    .bind(at(7, 10))
    .execute(pool)
    .await
    .context("inserting a re-drive")?;
    sqlx::query(
        "INSERT INTO projection_checkpoints (projection, partition, next_offset, owner_epoch,
             log_epoch, updated_at)
         VALUES ('catalog', 0, 120, 3, $1, $2), ('catalog', 1, 98, NULL, $1, $2),
                ('orders', 0, 77, 3, $1, $2)",
    )
    .bind(epoch)
    .bind(at(7, 11))
    .execute(pool)
    .await
    .context("inserting checkpoints")?;
    sqlx::query(
        "INSERT INTO projection_versions (unit, generation, code_version, switched_at)
         VALUES ('catalog', 2, 1, $1)",
    )
    .bind(at(6, 0))
    .execute(pool)
    .await
    .context("inserting a projection version")?;
    Ok(())
}
