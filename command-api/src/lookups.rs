//! Read-model look-ups the API needs to build commands: prices for cart lines, a cart's lines at
//! checkout, an order's owner and total, a coupon's terms.
//!
//! Commands carry looked-up values (DESIGN.md "Domain"), so decisions stay pure and replayable.
//! Read models lag the log by milliseconds; a client that just wrote sends the consistency token
//! it got back, and [`wait_for_token`] holds the look-up until the projection has passed it.

use std::time::Duration;

use domain::{
    cart::CartLine,
    values::{Currency, Money, Sku},
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{error::ApiError, token};

/// A sellable variant: published, not retired.
#[derive(Debug, Clone)]
pub struct ForSale {
    /// The product it belongs to.
    pub product_id: Uuid,
    /// Its current unit price.
    pub price: Money,
}

/// A cart as the read model knows it.
#[derive(Debug, Clone)]
pub struct CartView {
    /// Owner, or `None` for a guest cart.
    pub customer_id: Option<Uuid>,
    /// Applied coupon code.
    pub coupon_code: Option<String>,
    /// Lines with their price snapshots.
    pub lines: Vec<CartLine>,
}

/// An order as the read model knows it.
#[derive(Debug, Clone)]
pub struct OrderView {
    /// Who placed it.
    pub customer_id: Uuid,
    /// Lifecycle status, e.g. `confirmed`.
    pub status: String,
    /// Amount due.
    pub total: Money,
    /// Payment status, if a payment was started.
    pub payment_status: Option<String>,
}

fn internal(error: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(error.into())
}

fn money(amount_minor: i64, currency: &str) -> Result<Money, ApiError> {
    let currency = Currency::parse(currency)
        .map_err(|_| internal(anyhow::anyhow!("bad currency {currency:?} in a read model")))?;
    Ok(Money::new(amount_minor, currency))
}

/// The product and price of `sku` if it can be sold now.
pub async fn variant_for_sale(db: &PgPool, sku: &Sku) -> Result<Option<ForSale>, ApiError> {
    let row: Option<(Uuid, i64, String)> = sqlx::query_as(
        "SELECT v.product_id, v.price_minor, v.currency
           FROM catalog_variants v JOIN catalog_products p ON p.product_id = v.product_id
          WHERE v.sku = $1 AND NOT v.retired AND p.status = 'published'",
    )
    .bind(sku.as_str())
    .fetch_optional(db)
    .await
    .map_err(internal)?;
    row.map(|(product_id, price_minor, currency)| {
        Ok(ForSale {
            product_id,
            price: money(price_minor, &currency)?,
        })
    })
    .transpose()
}

/// The cart `cart_id`, if the read model has it.
pub async fn cart(db: &PgPool, cart_id: Uuid) -> Result<Option<CartView>, ApiError> {
    let head: Option<(Option<Uuid>, Option<String>)> =
        sqlx::query_as("SELECT customer_id, coupon_code FROM carts WHERE cart_id = $1")
            .bind(cart_id)
            .fetch_optional(db)
            .await
            .map_err(internal)?;
    let Some((customer_id, coupon_code)) = head else {
        return Ok(None);
    };
    let rows: Vec<(String, Uuid, i32, i64, String)> = sqlx::query_as(
        "SELECT sku, product_id, quantity, unit_price_minor, currency
           FROM cart_lines WHERE cart_id = $1 ORDER BY sku",
    )
    .bind(cart_id)
    .fetch_all(db)
    .await
    .map_err(internal)?;
    let mut lines = Vec::with_capacity(rows.len());
    for (sku, product_id, quantity, unit_price_minor, currency) in rows {
        lines.push(CartLine {
            sku: Sku::parse(&sku).map_err(|e| internal(anyhow::anyhow!("{e}")))?,
            product_id,
            quantity: u32::try_from(quantity).unwrap_or(0),
            unit_price: money(unit_price_minor, &currency)?,
        });
    }
    Ok(Some(CartView {
        customer_id,
        coupon_code,
        lines,
    }))
}

/// The order `order_id`, if the read model has it.
pub async fn order(db: &PgPool, order_id: Uuid) -> Result<Option<OrderView>, ApiError> {
    let row: Option<(Uuid, String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT customer_id, status, total_minor, currency, payment_status FROM orders WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(db)
    .await
    .map_err(internal)?;
    row.map(
        |(customer_id, status, total_minor, currency, payment_status)| {
            Ok(OrderView {
                customer_id,
                status,
                total: money(total_minor, &currency)?,
                payment_status,
            })
        },
    )
    .transpose()
}

/// The discount terms of an active coupon: `(kind, value, min_order_minor)`.
pub async fn coupon_terms(
    db: &PgPool,
    code: &str,
) -> Result<Option<(String, i64, Option<i64>)>, ApiError> {
    sqlx::query_as("SELECT kind, value, min_order_minor FROM coupons WHERE code = $1 AND active")
        .bind(code)
        .fetch_optional(db)
        .await
        .map_err(internal)
}

/// Waits (bounded) until `projection` has passed every position of `token`. Returns `false`
/// when the bound ran out, `true` when caught up; a token of another log epoch is refused.
pub async fn wait_for_token(
    db: &PgPool,
    log_epoch: Uuid,
    projection: &str,
    token_text: &str,
    bound: Duration,
) -> Result<bool, ApiError> {
    let (epoch, positions) = token::decode(token_text)
        .ok_or_else(|| ApiError::field("X-Consistency-Token", "not a consistency token"))?;
    if epoch != log_epoch {
        return Err(ApiError::field(
            "X-Consistency-Token",
            "the token belongs to another log epoch",
        ));
    }
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let checkpoints: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT partition, next_offset FROM projection_checkpoints WHERE projection = $1",
        )
        .bind(projection)
        .fetch_all(db)
        .await
        .map_err(internal)?;
        let passed = positions.iter().all(|position| {
            checkpoints
                .iter()
                .any(|(p, next)| *p == position.partition && *next > position.offset)
        });
        if passed {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
