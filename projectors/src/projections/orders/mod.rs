//! Orders: `orders`, `order_lines` and `order_status_history` from order events, plus the
//! columns other read models derive from orders.
//!
//! A batch loads the rows of the orders it touches (one query), folds the events into them in
//! memory (a refund's effect on the status depends on what was paid), and writes with a few
//! set-based statements: upsert the orders, insert placed lines, update line states, append
//! history. Line reservations and refusals set `order_lines.state` and are not history rows;
//! the coupon redemption sets `coupon_redeemed`; late reservations and redemptions (released by
//! the saga) change nothing here.
//!
//! Two columns cross projections: `orders.payment_id`/`payment_status` (from `payments`) and
//! `customers.order_count`/`lifetime_value_minor` (from `orders`). Each side recomputes them
//! from the committed rows of the other ([`refresh_payments`], [`refresh_customer_stats`])
//! while holding one advisory lock ([`lock_checkout_models`]), so whichever projection commits
//! second sees the first one's rows and the result does not depend on their interleaving; a
//! rebuild that stops each projection at the live positions therefore matches the live rows.
//!
//! Every changed order is announced on the Postgres channel `agora_orders` (see
//! [`write::notify`]), which feeds query-api's subscriptions.

mod fold;
#[cfg(test)]
mod tests;
mod write;

use std::collections::HashMap;

use domain::order::Order;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read_model::{EventsOf, ReadModel};

/// Checkpoint name.
pub const NAME: &str = "orders";

/// The orders read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Orders;

/// Serialises the transactions of the customers, orders and payments projections (in the
/// current schema, so a rebuild's scratch schema does not wait on the live one), so each sees
/// the others' committed rows when it recomputes the columns they share. Held until commit.
pub async fn lock_checkout_models(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext('agora-checkout-read-models:' || current_schema()))",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes `order_count` (orders paid for and not cancelled) and `lifetime_value_minor`
/// (what those orders paid minus what was refunded on them) of `customers` from `orders`.
pub async fn refresh_customer_stats(
    conn: &mut PgConnection,
    customers: &[Uuid],
) -> Result<(), sqlx::Error> {
    if customers.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE customers AS c SET
             order_count = COALESCE(s.order_count, 0),
             lifetime_value_minor = COALESCE(s.lifetime_value_minor, 0)
         FROM UNNEST($1::uuid[]) AS t(customer_id)
         LEFT JOIN (
             SELECT customer_id, count(*)::int AS order_count,
                    sum(paid_minor - refunded_minor)::bigint AS lifetime_value_minor
             FROM orders
             WHERE customer_id = ANY($1) AND paid_at IS NOT NULL AND status <> 'cancelled'
             GROUP BY customer_id
         ) AS s ON s.customer_id = t.customer_id
         WHERE c.customer_id = t.customer_id",
    )
    .bind(customers)
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes `payment_id` and `payment_status` of `orders` from `payments`: the captured (or
/// refunded) payment if any, else the latest initiated. Orders without any projected payment
/// keep what `OrderPaid` said.
pub async fn refresh_payments(conn: &mut PgConnection, orders: &[Uuid]) -> Result<(), sqlx::Error> {
    if orders.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE orders AS o SET payment_id = p.payment_id, payment_status = p.status
         FROM (
             SELECT DISTINCT ON (order_id) order_id, payment_id, status
             FROM payments WHERE order_id = ANY($1)
             ORDER BY order_id, (status IN ('captured', 'refunded')) DESC,
                      initiated_at DESC, payment_id DESC
         ) AS p
         WHERE o.order_id = p.order_id",
    )
    .bind(orders)
    .execute(conn)
    .await?;
    Ok(())
}

impl ReadModel for Orders {
    const NAME: &'static str = NAME;
    type Aggregate = Order;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<Order>],
    ) -> Result<(), sqlx::Error> {
        lock_checkout_models(&mut *conn).await?;
        let ids = fold::existing_ids(events);
        let rows: Vec<fold::OrderRow> = if ids.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(write::LOAD)
                .bind(&ids)
                .fetch_all(&mut *conn)
                .await?
        };
        let rows: HashMap<Uuid, fold::OrderRow> =
            rows.into_iter().map(|row| (row.order_id, row)).collect();
        let fold = fold::fold(rows, events);
        let order_ids: Vec<Uuid> = fold.orders.keys().copied().collect();
        let mut customers: Vec<Uuid> = fold.orders.values().map(|o| o.customer_id).collect();
        customers.sort_unstable();
        customers.dedup();
        write::orders(&mut *conn, fold.orders.into_values()).await?;
        write::new_lines(&mut *conn, fold.new_lines).await?;
        write::line_states(&mut *conn, fold.line_states).await?;
        write::history(&mut *conn, fold.history).await?;
        refresh_payments(&mut *conn, &order_ids).await?;
        refresh_customer_stats(&mut *conn, &customers).await?;
        write::notify(&mut *conn, &order_ids).await
    }
}
