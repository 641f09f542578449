//! `admin.analytics`: sales figures from ClickHouse over a range of days (both included).
//!
//! Revenue is gross (line totals before order discounts) where it comes from order lines, as
//! `sales_daily` defines it; the average order value uses paid orders' totals (after
//! discounts). Every placed order counts in the line figures, including ones later rejected
//! or cancelled (see `docs/ANALYTICS.md`). Categories live in the catalog, not in ClickHouse,
//! so revenue per category joins the per-product figures with the catalog read model.

use std::collections::BTreeMap;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::NaiveDate;
use uuid::Uuid;

use super::{money::Money, store};
use crate::{error::QueryError, store::analytics::DayRange};

/// Longest range one query may cover, so a typo cannot scan every fact there is.
const MAX_RANGE_DAYS: i64 = 3 * 366;

/// Most products `topProducts` returns.
const MAX_TOP: i32 = 100;

/// Sales analytics.
pub struct SalesAnalytics;

fn range(from: NaiveDate, to: NaiveDate) -> Result<DayRange, QueryError> {
    let days = (to - from).num_days();
    if days < 0 {
        return Err(QueryError::BadUserInput(
            "`from` must not be after `to`".to_string(),
        ));
    }
    if days >= MAX_RANGE_DAYS {
        return Err(QueryError::BadUserInput(format!(
            "a range may cover at most {MAX_RANGE_DAYS} days"
        )));
    }
    Ok(DayRange { from, to })
}

fn day(text: &str) -> Result<NaiveDate, QueryError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| QueryError::Corrupt(format!("ClickHouse day {text:?}")))
}

fn product_id(text: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(text).map_err(|_| QueryError::Corrupt(format!("product id {text:?}")))
}

/// Sales analytics.
#[Object]
impl SalesAnalytics {
    /// Orders, units and gross revenue placed per day and currency.
    async fn sales_by_day(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Vec<DailySales>> {
        let rows = store(ctx)?.sales_by_day(range(from, to)?).await?;
        let mut days = Vec::with_capacity(rows.len());
        for row in rows {
            days.push(DailySales {
                day: day(&row.day)?,
                orders: row.orders,
                units: row.units,
                revenue: Money::new(row.revenue_minor, &row.currency),
            });
        }
        Ok(days)
    }

    /// Products by gross revenue, highest first (`first`: default 10, at most 100).
    async fn top_products(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<ProductSales>> {
        if !(0..=MAX_TOP).contains(&first) {
            return Err(QueryError::BadUserInput(format!(
                "`first` must be between 0 and {MAX_TOP}, got {first}"
            ))
            .into());
        }
        let limit = first.unsigned_abs();
        let rows = store(ctx)?
            .sales_by_product(range(from, to)?, Some(limit))
            .await?;
        let mut products = Vec::with_capacity(rows.len());
        for row in rows {
            products.push(ProductSales {
                product_id: ID(product_id(&row.product_id)?.to_string()),
                units: row.units,
                revenue: Money::new(row.revenue_minor, &row.currency),
            });
        }
        Ok(products)
    }

    /// Units and gross revenue per catalog category and currency, highest revenue first
    /// (products unknown to the catalog count under the empty category).
    async fn sales_by_category(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Vec<CategorySales>> {
        let store = store(ctx)?;
        let rows = store.sales_by_product(range(from, to)?, None).await?;
        let ids = rows
            .iter()
            .map(|row| product_id(&row.product_id))
            .collect::<Result<Vec<_>, _>>()?;
        let categories = store.categories_of(&ids).await?;
        let mut totals: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        for (row, id) in rows.iter().zip(&ids) {
            let category = categories.get(id).cloned().unwrap_or_default();
            let entry = totals.entry((category, row.currency.clone())).or_default();
            entry.0 += row.units;
            entry.1 += row.revenue_minor;
        }
        let mut sales: Vec<CategorySales> = totals
            .into_iter()
            .map(
                |((category, currency), (units, revenue_minor))| CategorySales {
                    category,
                    units,
                    revenue: Money::new(revenue_minor, &currency),
                },
            )
            .collect();
        sales.sort_by(|a, b| {
            b.revenue
                .amount_minor
                .cmp(&a.revenue.amount_minor)
                .then_with(|| a.category.cmp(&b.category))
        });
        Ok(sales)
    }

    /// Carts created, orders placed and orders paid, per day and in total.
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Funnel> {
        let rows = store(ctx)?.funnel(range(from, to)?).await?;
        let mut funnel = Funnel {
            carts_created: 0,
            orders_placed: 0,
            orders_paid: 0,
            days: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            funnel.carts_created += row.carts_created;
            funnel.orders_placed += row.orders_placed;
            funnel.orders_paid += row.orders_paid;
            funnel.days.push(FunnelDay {
                day: day(&row.day)?,
                carts_created: row.carts_created,
                orders_placed: row.orders_placed,
                orders_paid: row.orders_paid,
            });
        }
        Ok(funnel)
    }

    /// Average total of the orders paid in the range, per currency (integer division,
    /// rounded down to the minor unit).
    async fn average_order_value(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Vec<AverageOrderValue>> {
        let rows = store(ctx)?.paid_orders(range(from, to)?).await?;
        Ok(rows
            .into_iter()
            .filter(|row| row.orders > 0)
            .map(|row| AverageOrderValue {
                paid_orders: row.orders,
                revenue: Money::new(row.total_minor, &row.currency),
                average: Money::new(row.total_minor / row.orders, &row.currency),
            })
            .collect())
    }
}

/// Sales of one day in one currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct DailySales {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Distinct orders placed.
    pub orders: i64,
    /// Units placed.
    pub units: i64,
    /// Gross revenue (before order discounts).
    pub revenue: Money,
}

/// Sales of one product in one currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductSales {
    /// Product id.
    pub product_id: ID,
    /// Units placed.
    pub units: i64,
    /// Gross revenue (before order discounts).
    pub revenue: Money,
}

/// Sales of one catalog category in one currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct CategorySales {
    /// Category ('' when the product has none or is unknown).
    pub category: String,
    /// Units placed.
    pub units: i64,
    /// Gross revenue (before order discounts).
    pub revenue: Money,
}

/// Carts → placed → paid.
#[derive(Debug, Clone, SimpleObject)]
pub struct Funnel {
    /// Carts created in the range.
    pub carts_created: i64,
    /// Orders placed in the range.
    pub orders_placed: i64,
    /// Orders paid in the range.
    pub orders_paid: i64,
    /// The same, per day (days without activity are absent).
    pub days: Vec<FunnelDay>,
}

/// The funnel of one day.
#[derive(Debug, Clone, SimpleObject)]
pub struct FunnelDay {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Carts created.
    pub carts_created: i64,
    /// Orders placed.
    pub orders_placed: i64,
    /// Orders paid.
    pub orders_paid: i64,
}

/// Average order value in one currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct AverageOrderValue {
    /// Orders paid in the range.
    pub paid_orders: i64,
    /// Sum of their totals.
    pub revenue: Money,
    /// `revenue / paidOrders`.
    pub average: Money,
}
