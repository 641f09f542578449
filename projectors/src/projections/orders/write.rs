//! Writing folded orders with set-based statements (arrays bound once, `UNNEST`ed in SQL).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::fold::{HistoryRow, LineRow, OrderRow};

pub(super) const LOAD: &str = "
    SELECT order_id, customer_id, status, subtotal_minor, discount_minor, total_minor, currency,
           coupon_code, coupon_redeemed, shipping_address, payment_id, paid_minor,
           refunded_minor, refund_due_minor, reject_reason, cancel_reason, carrier,
           tracking_number, placed_at, paid_at, updated_at, stream_version
    FROM orders WHERE order_id = ANY($1)";

#[derive(Default)]
struct OrderColumns {
    order_id: Vec<Uuid>,
    customer_id: Vec<Uuid>,
    status: Vec<String>,
    subtotal_minor: Vec<i64>,
    discount_minor: Vec<i64>,
    total_minor: Vec<i64>,
    currency: Vec<String>,
    coupon_code: Vec<Option<String>>,
    coupon_redeemed: Vec<bool>,
    shipping_address: Vec<Value>,
    payment_id: Vec<Option<Uuid>>,
    paid_minor: Vec<i64>,
    refunded_minor: Vec<i64>,
    refund_due_minor: Vec<i64>,
    reject_reason: Vec<Option<String>>,
    cancel_reason: Vec<Option<String>>,
    carrier: Vec<Option<String>>,
    tracking_number: Vec<Option<String>>,
    placed_at: Vec<DateTime<Utc>>,
    paid_at: Vec<Option<DateTime<Utc>>>,
    updated_at: Vec<DateTime<Utc>>,
    stream_version: Vec<i64>,
}

impl OrderColumns {
    fn push(&mut self, row: OrderRow) {
        self.order_id.push(row.order_id);
        self.customer_id.push(row.customer_id);
        self.status.push(row.status);
        self.subtotal_minor.push(row.subtotal_minor);
        self.discount_minor.push(row.discount_minor);
        self.total_minor.push(row.total_minor);
        self.currency.push(row.currency);
        self.coupon_code.push(row.coupon_code);
        self.coupon_redeemed.push(row.coupon_redeemed);
        self.shipping_address.push(row.shipping_address);
        self.payment_id.push(row.payment_id);
        self.paid_minor.push(row.paid_minor);
        self.refunded_minor.push(row.refunded_minor);
        self.refund_due_minor.push(row.refund_due_minor);
        self.reject_reason.push(row.reject_reason);
        self.cancel_reason.push(row.cancel_reason);
        self.carrier.push(row.carrier);
        self.tracking_number.push(row.tracking_number);
        self.placed_at.push(row.placed_at);
        self.paid_at.push(row.paid_at);
        self.updated_at.push(row.updated_at);
        self.stream_version.push(row.stream_version);
    }
}

const UPSERT_ORDERS: &str = "
    INSERT INTO orders (order_id, customer_id, status, subtotal_minor, discount_minor,
                        total_minor, currency, coupon_code, coupon_redeemed, shipping_address,
                        payment_id, paid_minor, refunded_minor, refund_due_minor, reject_reason,
                        cancel_reason, carrier, tracking_number, placed_at, paid_at, updated_at,
                        stream_version)
    SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[],
                         $6::bigint[], $7::text[], $8::text[], $9::boolean[], $10::jsonb[],
                         $11::uuid[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[],
                         $16::text[], $17::text[], $18::text[], $19::timestamptz[],
                         $20::timestamptz[], $21::timestamptz[], $22::bigint[])
    ON CONFLICT (order_id) DO UPDATE SET
        status = EXCLUDED.status,
        coupon_redeemed = EXCLUDED.coupon_redeemed,
        payment_id = EXCLUDED.payment_id,
        paid_minor = EXCLUDED.paid_minor,
        refunded_minor = EXCLUDED.refunded_minor,
        refund_due_minor = EXCLUDED.refund_due_minor,
        reject_reason = EXCLUDED.reject_reason,
        cancel_reason = EXCLUDED.cancel_reason,
        carrier = EXCLUDED.carrier,
        tracking_number = EXCLUDED.tracking_number,
        paid_at = EXCLUDED.paid_at,
        updated_at = EXCLUDED.updated_at,
        stream_version = EXCLUDED.stream_version";

/// Inserts placed orders and rewrites the others (whole rows, already folded).
pub(super) async fn orders(
    conn: &mut PgConnection,
    rows: impl IntoIterator<Item = OrderRow>,
) -> Result<(), sqlx::Error> {
    let mut c = OrderColumns::default();
    for row in rows {
        c.push(row);
    }
    if c.order_id.is_empty() {
        return Ok(());
    }
    sqlx::query(UPSERT_ORDERS)
        .bind(&c.order_id)
        .bind(&c.customer_id)
        .bind(&c.status)
        .bind(&c.subtotal_minor)
        .bind(&c.discount_minor)
        .bind(&c.total_minor)
        .bind(&c.currency)
        .bind(&c.coupon_code)
        .bind(&c.coupon_redeemed)
        .bind(&c.shipping_address)
        .bind(&c.payment_id)
        .bind(&c.paid_minor)
        .bind(&c.refunded_minor)
        .bind(&c.refund_due_minor)
        .bind(&c.reject_reason)
        .bind(&c.cancel_reason)
        .bind(&c.carrier)
        .bind(&c.tracking_number)
        .bind(&c.placed_at)
        .bind(&c.paid_at)
        .bind(&c.updated_at)
        .bind(&c.stream_version)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts the lines of placed orders.
pub(super) async fn new_lines(
    conn: &mut PgConnection,
    lines: Vec<LineRow>,
) -> Result<(), sqlx::Error> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut order_id = Vec::with_capacity(lines.len());
    let mut line = Vec::with_capacity(lines.len());
    let mut sku = Vec::with_capacity(lines.len());
    let mut product_id = Vec::with_capacity(lines.len());
    let mut quantity = Vec::with_capacity(lines.len());
    let mut unit_price_minor = Vec::with_capacity(lines.len());
    let mut currency = Vec::with_capacity(lines.len());
    for row in lines {
        order_id.push(row.order_id);
        line.push(row.line);
        sku.push(row.sku);
        product_id.push(row.product_id);
        quantity.push(row.quantity);
        unit_price_minor.push(row.unit_price_minor);
        currency.push(row.currency);
    }
    sqlx::query(
        "INSERT INTO order_lines (order_id, line, sku, product_id, quantity, unit_price_minor,
                                  currency)
         SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::text[], $4::uuid[], $5::int[],
                              $6::bigint[], $7::text[])",
    )
    .bind(&order_id)
    .bind(&line)
    .bind(&sku)
    .bind(&product_id)
    .bind(&quantity)
    .bind(&unit_price_minor)
    .bind(&currency)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the recorded stock state of lines.
pub(super) async fn line_states(
    conn: &mut PgConnection,
    states: BTreeMap<(Uuid, i32), &'static str>,
) -> Result<(), sqlx::Error> {
    if states.is_empty() {
        return Ok(());
    }
    let mut order_id = Vec::with_capacity(states.len());
    let mut line = Vec::with_capacity(states.len());
    let mut state = Vec::with_capacity(states.len());
    for ((id, number), value) in states {
        order_id.push(id);
        line.push(number);
        state.push(value.to_string());
    }
    sqlx::query(
        "UPDATE order_lines AS l SET state = s.state
         FROM UNNEST($1::uuid[], $2::int[], $3::text[]) AS s(order_id, line, state)
         WHERE l.order_id = s.order_id AND l.line = s.line",
    )
    .bind(&order_id)
    .bind(&line)
    .bind(&state)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends status history rows.
pub(super) async fn history(
    conn: &mut PgConnection,
    rows: Vec<HistoryRow>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut order_id = Vec::with_capacity(rows.len());
    let mut version = Vec::with_capacity(rows.len());
    let mut status = Vec::with_capacity(rows.len());
    let mut occurred_at = Vec::with_capacity(rows.len());
    let mut detail = Vec::with_capacity(rows.len());
    for row in rows {
        order_id.push(row.order_id);
        version.push(row.version);
        status.push(row.status);
        occurred_at.push(row.occurred_at);
        detail.push(row.detail);
    }
    sqlx::query(
        "INSERT INTO order_status_history (order_id, version, status, occurred_at, detail)
         SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::text[], $4::timestamptz[],
                              $5::jsonb[])",
    )
    .bind(&order_id)
    .bind(&version)
    .bind(&status)
    .bind(&occurred_at)
    .bind(&detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// The channel query-api listens on for order changes.
pub(super) const ORDERS_CHANNEL: &str = "agora_orders";

/// Announces every order of this batch on [`ORDERS_CHANNEL`] as JSON
/// `{order_id, customer_id, status, version, schema}`, in one statement over the rows as written.
///
/// Postgres delivers notifications only when the transaction commits (and drops them on
/// rollback), so a listener never hears of a row it cannot read yet, and a batch fenced off by
/// its checkpoint announces nothing. `schema` lets listeners ignore a rebuild running in a
/// scratch schema of the same database.
pub(super) async fn notify(conn: &mut PgConnection, order_ids: &[Uuid]) -> Result<(), sqlx::Error> {
    if order_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "SELECT pg_notify($2, json_build_object(
                    'order_id', order_id, 'customer_id', customer_id, 'status', status,
                    'version', stream_version, 'schema', current_schema())::text)
         FROM orders WHERE order_id = ANY($1)",
    )
    .bind(order_ids)
    .bind(ORDERS_CHANNEL)
    .execute(conn)
    .await?;
    Ok(())
}
