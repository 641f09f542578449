//! Sales analytics from ClickHouse: the sales facts and the `sales_daily` / `funnel_daily`
//! views the projector keeps (see `docs/ANALYTICS.md`).
//!
//! The local server is ClickHouse 18.16, which shapes every statement here:
//! - the client reads `RowBinary` with validation off (18.16 lacks
//!   `RowBinaryWithNamesAndTypes`) and without compression, so every column is cast to the
//!   exact type its Rust field decodes (`toInt64`, `toString`);
//! - aliases never reuse a column name (18.16 resolves them inside aggregates);
//! - facts are read with `FINAL` (or through the views, which do), so a batch the projector
//!   inserted twice is counted once.
//!
//! Days are bound as `YYYY-MM-DD` strings and converted server-side with `toDate`.

use chrono::NaiveDate;
use clickhouse::{Client, Compression, Row};
use serde::Deserialize;

use super::Store;
use crate::error::QueryError;

/// Handle on the ClickHouse database of the sales facts.
#[derive(Clone)]
pub struct Analytics {
    client: Client,
}

impl std::fmt::Debug for Analytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analytics").finish_non_exhaustive()
    }
}

impl Analytics {
    /// A client for `database` at `url`; connects on first use.
    pub fn new(url: &str, database: &str) -> Self {
        Self {
            client: Client::default()
                .with_url(url)
                .with_database(database)
                .with_validation(false)
                .with_compression(Compression::None),
        }
    }

    /// Whether ClickHouse answers with this client's database (a readiness probe).
    pub async fn ping(&self) -> Result<(), clickhouse::error::Error> {
        self.client
            .query("SELECT 1")
            .fetch_one::<u8>()
            .await
            .map(|_| ())
    }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
}

impl DayRange {
    fn bounds(&self) -> (String, String) {
        (self.from.to_string(), self.to.to_string())
    }
}

/// Units and revenue placed on one day in one currency.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct DailySalesRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// ISO currency code.
    pub currency: String,
    /// Distinct orders placed.
    pub orders: i64,
    /// Units placed.
    pub units: i64,
    /// Line totals before order discounts, minor units.
    pub revenue_minor: i64,
}

/// Units and revenue of one product in one currency.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct ProductSalesRow {
    /// Product id, as text.
    pub product_id: String,
    /// ISO currency code.
    pub currency: String,
    /// Units placed.
    pub units: i64,
    /// Line totals before order discounts, minor units.
    pub revenue_minor: i64,
}

/// The funnel of one day.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct FunnelRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Distinct carts created.
    pub carts_created: i64,
    /// Distinct orders placed.
    pub orders_placed: i64,
    /// Distinct orders paid.
    pub orders_paid: i64,
}

/// Paid orders and their totals in one currency.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct PaidOrdersRow {
    /// ISO currency code.
    pub currency: String,
    /// Orders paid.
    pub orders: i64,
    /// Sum of their totals (after discounts), minor units.
    pub total_minor: i64,
}

impl Store {
    fn clickhouse(&self) -> &Client {
        // Counted with the Postgres statements: tests bound what one request costs overall.
        self.statements
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        &self.analytics.client
    }

    /// Orders, units and gross revenue per day and currency placed within `range`.
    pub async fn sales_by_day(&self, range: DayRange) -> Result<Vec<DailySalesRow>, QueryError> {
        let (from, to) = range.bounds();
        Ok(self
            .clickhouse()
            .query(
                "SELECT toString(toDate(occurred_at)) AS sale_day, currency AS sale_currency,
                        toInt64(uniqExact(order_id)) AS order_count,
                        toInt64(sum(quantity)) AS units_sold,
                        toInt64(sum(line_total_minor)) AS gross_minor
                 FROM order_line_facts FINAL
                 WHERE toDate(occurred_at) >= toDate(?) AND toDate(occurred_at) <= toDate(?)
                 GROUP BY sale_day, sale_currency
                 ORDER BY sale_day, sale_currency",
            )
            .bind(from)
            .bind(to)
            .fetch_all()
            .await?)
    }

    /// Units and gross revenue per product and currency within `range`, highest revenue
    /// first; at most `limit` rows when given.
    pub async fn sales_by_product(
        &self,
        range: DayRange,
        limit: Option<u32>,
    ) -> Result<Vec<ProductSalesRow>, QueryError> {
        let (from, to) = range.bounds();
        let mut sql = String::from(
            "SELECT toString(sale_product_id) AS product_text, sale_currency AS currency_text,
                    toInt64(sum(units)) AS units_sold, toInt64(sum(revenue_minor)) AS gross_minor
             FROM sales_daily
             WHERE day >= toDate(?) AND day <= toDate(?)
             GROUP BY sale_product_id, sale_currency
             ORDER BY gross_minor DESC, units_sold DESC, product_text",
        );
        if limit.is_some() {
            sql.push_str(" LIMIT ?");
        }
        let mut query = self.clickhouse().query(&sql).bind(from).bind(to);
        if let Some(limit) = limit {
            query = query.bind(limit);
        }
        Ok(query.fetch_all().await?)
    }

    /// Carts created, orders placed and orders paid per day within `range`.
    pub async fn funnel(&self, range: DayRange) -> Result<Vec<FunnelRow>, QueryError> {
        let (from, to) = range.bounds();
        Ok(self
            .clickhouse()
            .query(
                "SELECT toString(day) AS funnel_day, toInt64(carts_created) AS carts,
                        toInt64(orders_placed) AS placed, toInt64(orders_paid) AS paid
                 FROM funnel_daily
                 WHERE day >= toDate(?) AND day <= toDate(?)
                 ORDER BY funnel_day",
            )
            .bind(from)
            .bind(to)
            .fetch_all()
            .await?)
    }

    /// Orders paid within `range` and the sum of their totals, per currency.
    pub async fn paid_orders(&self, range: DayRange) -> Result<Vec<PaidOrdersRow>, QueryError> {
        let (from, to) = range.bounds();
        Ok(self
            .clickhouse()
            .query(
                "SELECT currency AS paid_currency, toInt64(uniqExact(order_id)) AS paid_count,
                        toInt64(sum(total_minor)) AS paid_sum
                 FROM order_facts FINAL
                 WHERE status = 'paid'
                   AND toDate(occurred_at) >= toDate(?) AND toDate(occurred_at) <= toDate(?)
                 GROUP BY currency
                 ORDER BY paid_currency",
            )
            .bind(from)
            .bind(to)
            .fetch_all()
            .await?)
    }
}

impl Store {
    /// Catalog categories of these products (Postgres), for revenue per category.
    pub async fn categories_of(
        &self,
        product_ids: &[uuid::Uuid],
    ) -> Result<std::collections::HashMap<uuid::Uuid, String>, QueryError> {
        let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as(
            "SELECT product_id, category FROM catalog_products WHERE product_id = ANY($1)",
        )
        .bind(product_ids)
        .fetch_all(self.counted())
        .await?;
        Ok(rows.into_iter().collect())
    }
}
