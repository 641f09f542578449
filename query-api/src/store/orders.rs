//! Orders, their lines, status history and payments, from `orders`, `order_lines`,
//! `order_status_history` and `payments`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, Postgres, QueryBuilder};
use uuid::Uuid;

use super::Store;
use crate::error::QueryError;

/// Columns of an order row.
const ORDER_COLUMNS: &str = "order_id, customer_id, status, subtotal_minor, discount_minor, \
     total_minor, currency, coupon_code, shipping_address, payment_id, payment_status, \
     paid_minor, refunded_minor, refund_due_minor, reject_reason, cancel_reason, carrier, \
     tracking_number, placed_at, paid_at, updated_at";

/// One row of `orders`.
#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    /// Order id.
    pub order_id: Uuid,
    /// Who placed it.
    pub customer_id: Uuid,
    /// `placed`, `confirmed`, `paid`, `shipped`, `delivered`, `rejected`, `cancelled`, `refunded`.
    pub status: String,
    /// Sum of the lines, minor units.
    pub subtotal_minor: i64,
    /// Coupon discount, minor units.
    pub discount_minor: i64,
    /// What the customer pays, minor units.
    pub total_minor: i64,
    /// ISO currency code.
    pub currency: String,
    /// Coupon applied, if any.
    pub coupon_code: Option<String>,
    /// The address object the order ships to.
    pub shipping_address: serde_json::Value,
    /// The order's current payment.
    pub payment_id: Option<Uuid>,
    /// That payment's status.
    pub payment_status: Option<String>,
    /// Captured, minor units.
    pub paid_minor: i64,
    /// Refunded so far, minor units.
    pub refunded_minor: i64,
    /// Owed back after a cancellation, minor units.
    pub refund_due_minor: i64,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Shipping carrier.
    pub carrier: Option<String>,
    /// Carrier's tracking number.
    pub tracking_number: Option<String>,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Time of the order's latest event.
    pub updated_at: DateTime<Utc>,
}

impl OrderRow {
    /// Where this order sits in a newest-first listing.
    pub fn key(&self) -> OrderKey {
        OrderKey {
            placed_at: self.placed_at,
            id: self.order_id,
        }
    }
}

/// A position in an order listing, newest first: by placement time, then id (descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderKey {
    /// Placement time.
    #[serde(rename = "t")]
    pub placed_at: DateTime<Utc>,
    /// Order id, the tie-breaker.
    #[serde(rename = "i")]
    pub id: Uuid,
}

/// One page of one customer's orders, as a DataLoader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CustomerOrdersPage {
    /// The customer.
    pub customer_id: Uuid,
    /// Continue after this order.
    pub after: Option<OrderKey>,
    /// Rows to fetch (page size plus one, to learn whether more follow).
    pub limit: i64,
}

/// An order row fetched for one of several pages.
#[derive(Debug, Clone, FromRow)]
pub struct PagedOrderRow {
    /// Index of the page (in the batch of keys) the row belongs to.
    pub page: i64,
    /// The order.
    #[sqlx(flatten)]
    pub order: OrderRow,
}

/// Which orders an admin listing shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderFilter {
    /// Only these statuses (all when empty).
    pub statuses: Vec<String>,
    /// Placed at or after.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before.
    pub placed_before: Option<DateTime<Utc>>,
    /// Placed by this customer.
    pub customer_id: Option<Uuid>,
}

impl OrderFilter {
    fn push_where<'q>(&'q self, sql: &mut QueryBuilder<'q, Postgres>) {
        sql.push(" WHERE true");
        if !self.statuses.is_empty() {
            sql.push(" AND status = ANY(")
                .push_bind(&self.statuses)
                .push(")");
        }
        if let Some(from) = self.placed_from {
            sql.push(" AND placed_at >= ").push_bind(from);
        }
        if let Some(before) = self.placed_before {
            sql.push(" AND placed_at < ").push_bind(before);
        }
        if let Some(customer) = self.customer_id {
            sql.push(" AND customer_id = ").push_bind(customer);
        }
    }
}

/// Count and money of the orders a filter matches, in one currency.
#[derive(Debug, Clone, FromRow)]
pub struct OrderTotalsRow {
    /// ISO currency code.
    pub currency: String,
    /// Orders.
    pub orders: i64,
    /// Sum of their totals, minor units.
    pub total_minor: i64,
    /// Captured for them, minor units.
    pub paid_minor: i64,
    /// Refunded to them, minor units.
    pub refunded_minor: i64,
}

/// One row of `order_lines`.
#[derive(Debug, Clone, FromRow)]
pub struct OrderLineRow {
    /// The order.
    pub order_id: Uuid,
    /// Line number.
    pub line: i32,
    /// SKU ordered.
    pub sku: String,
    /// Its product.
    pub product_id: Uuid,
    /// Units.
    pub quantity: i32,
    /// Price per unit, minor units.
    pub unit_price_minor: i64,
    /// ISO currency code.
    pub currency: String,
    /// `pending`, `reserved` or `refused`.
    pub state: String,
}

/// One row of `order_status_history`.
#[derive(Debug, Clone, FromRow)]
pub struct StatusChangeRow {
    /// The order.
    pub order_id: Uuid,
    /// Stream version of the event.
    pub version: i64,
    /// Status after the event.
    pub status: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Event details (reason, carrier, refund amount…).
    pub detail: serde_json::Value,
}

/// One row of `payments`.
#[derive(Debug, Clone, FromRow)]
pub struct PaymentRow {
    /// Payment id.
    pub payment_id: Uuid,
    /// The order paid for.
    pub order_id: Uuid,
    /// `initiated`, `authorized`, `captured`, `declined`, `failed`, `refunded`.
    pub status: String,
    /// Amount asked for, minor units.
    pub amount_minor: i64,
    /// Captured, minor units.
    pub captured_minor: i64,
    /// Refunded, minor units.
    pub refunded_minor: i64,
    /// ISO currency code.
    pub currency: String,
    /// `card`, `wallet`.
    pub method: String,
    /// The provider's reason for the latest decline or failure.
    pub failure_reason: Option<String>,
    /// When it was initiated.
    pub initiated_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// The orders with these ids.
    pub async fn orders_by_ids(&self, ids: &[Uuid]) -> Result<Vec<OrderRow>, QueryError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ANY($1)");
        Ok(sqlx::query_as::<_, OrderRow>(&sql)
            .bind(ids)
            .fetch_all(self.counted())
            .await?)
    }

    /// Pages of several customers' orders in one statement, newest first; each row comes
    /// with the index in `pages` of the page it belongs to.
    pub async fn customer_order_pages(
        &self,
        pages: &[CustomerOrdersPage],
    ) -> Result<Vec<PagedOrderRow>, QueryError> {
        let customers: Vec<Uuid> = pages.iter().map(|p| p.customer_id).collect();
        let after_at: Vec<Option<DateTime<Utc>>> =
            pages.iter().map(|p| p.after.map(|k| k.placed_at)).collect();
        let after_id: Vec<Option<Uuid>> = pages.iter().map(|p| p.after.map(|k| k.id)).collect();
        let limits: Vec<i64> = pages.iter().map(|p| p.limit).collect();
        // One LATERAL page per key: the keyset condition and LIMIT apply per customer.
        let sql = format!(
            "SELECT k.page - 1 AS page, o.* \
             FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::int8[]) \
                 WITH ORDINALITY AS k(customer_id, after_at, after_id, lim, page) \
             CROSS JOIN LATERAL (SELECT {ORDER_COLUMNS} FROM orders \
                 WHERE orders.customer_id = k.customer_id \
                   AND (k.after_at IS NULL OR (placed_at, order_id) < (k.after_at, k.after_id)) \
                 ORDER BY placed_at DESC, order_id DESC LIMIT k.lim) o"
        );
        Ok(sqlx::query_as::<_, PagedOrderRow>(&sql)
            .bind(customers)
            .bind(after_at)
            .bind(after_id)
            .bind(limits)
            .fetch_all(self.counted())
            .await?)
    }

    /// Up to `limit` orders of `filter` after `after`, newest first.
    pub async fn order_page(
        &self,
        filter: &OrderFilter,
        after: Option<&OrderKey>,
        limit: usize,
    ) -> Result<Vec<OrderRow>, QueryError> {
        let mut sql = QueryBuilder::new("SELECT ");
        sql.push(ORDER_COLUMNS).push(" FROM orders");
        filter.push_where(&mut sql);
        if let Some(key) = after {
            sql.push(" AND (placed_at, order_id) < (")
                .push_bind(key.placed_at)
                .push(", ")
                .push_bind(key.id)
                .push(")");
        }
        sql.push(" ORDER BY placed_at DESC, order_id DESC LIMIT ")
            .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
        Ok(sql
            .build_query_as::<OrderRow>()
            .fetch_all(self.counted())
            .await?)
    }

    /// Count and sums of the orders `filter` matches, per currency.
    pub async fn order_totals(
        &self,
        filter: &OrderFilter,
    ) -> Result<Vec<OrderTotalsRow>, QueryError> {
        let mut sql = QueryBuilder::new(
            "SELECT currency, count(*) AS orders, \
                    coalesce(sum(total_minor), 0)::int8 AS total_minor, \
                    coalesce(sum(paid_minor), 0)::int8 AS paid_minor, \
                    coalesce(sum(refunded_minor), 0)::int8 AS refunded_minor \
             FROM orders",
        );
        filter.push_where(&mut sql);
        sql.push(" GROUP BY currency ORDER BY currency");
        Ok(sql
            .build_query_as::<OrderTotalsRow>()
            .fetch_all(self.counted())
            .await?)
    }

    /// Every line of these orders, by order then line number.
    pub async fn order_lines_of(
        &self,
        order_ids: &[Uuid],
    ) -> Result<Vec<OrderLineRow>, QueryError> {
        Ok(sqlx::query_as::<_, OrderLineRow>(
            "SELECT order_id, line, sku, product_id, quantity, unit_price_minor, currency, state \
             FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, line",
        )
        .bind(order_ids)
        .fetch_all(self.counted())
        .await?)
    }

    /// The status history of these orders, oldest first.
    pub async fn status_history_of(
        &self,
        order_ids: &[Uuid],
    ) -> Result<Vec<StatusChangeRow>, QueryError> {
        Ok(sqlx::query_as::<_, StatusChangeRow>(
            "SELECT order_id, version, status, occurred_at, detail FROM order_status_history \
             WHERE order_id = ANY($1) ORDER BY order_id, version",
        )
        .bind(order_ids)
        .fetch_all(self.counted())
        .await?)
    }

    /// The payments with these ids.
    pub async fn payments_by_ids(&self, ids: &[Uuid]) -> Result<Vec<PaymentRow>, QueryError> {
        Ok(sqlx::query_as::<_, PaymentRow>(
            "SELECT payment_id, order_id, status, amount_minor, captured_minor, refunded_minor, \
                    currency, method, failure_reason, initiated_at, updated_at \
             FROM payments WHERE payment_id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(self.counted())
        .await?)
    }
}
