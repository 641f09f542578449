//! The admin schema: everything under `admin`, for staff and admins only.
//!
//! The role is checked once, on `admin` itself: without a token it is `UNAUTHENTICATED`,
//! with a customer's token `FORBIDDEN`, and nothing below it runs.
//!
//! Dead letters: the letters themselves live in the `agora.dlq` topic, which query-api does
//! not read (it has no Kafka client, and scanning a topic per request is no read model).
//! `deadLetterRedrives` shows what Postgres holds: the re-drives operators ran. Projection
//! status likewise comes from Postgres (checkpoints and versions); lag in records needs the
//! broker's high watermarks and is what `agora-projector list` reports.
//!
//! The entry point and its fields live here; the types they return, by resource, in
//! [`stock`], [`coupons`] and [`operations`].

mod coupons;
mod operations;
mod stock;

pub use coupons::{Coupon, CouponConnection, CouponEdge, Redemption};
pub use operations::{Checkpoint, ProjectionStatus, ProjectionVersion, Redrive};
pub use stock::{Reservation, StockConnection, StockEdge, StockItem};

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    analytics::SalesAnalytics,
    customers::Customer,
    inventory::Inventory,
    loaders,
    orders::{ORDER_READS, Order, OrderConnection, parse_id},
    store, viewer,
};
use crate::{
    consistency::{self, Projection},
    error::QueryError,
    pagination::{self, Page, PageInfo},
    store::{
        customers::CustomerKey,
        orders::{OrderFilter as StoreOrderFilter, OrderKey},
    },
};

/// What the account views read: the accounts and, through `Customer.orders`, their orders.
const CUSTOMER_READS: &[Projection] = &[
    Projection::Customers,
    Projection::Orders,
    Projection::Payments,
];

/// What the stock views read: stock figures and the order lines reserving it.
const STOCK_READS: &[Projection] = &[Projection::Inventory, Projection::Orders];

/// Most rows of the lists that are not connections (re-drives).
const LIST_CAP: i32 = 100;

/// The admin entry point.
#[derive(Default)]
pub struct AdminQuery;

/// The admin entry point.
#[Object]
impl AdminQuery {
    /// Staff and admin views: orders, customers, inventory, coupons, dead letters, projection
    /// status and sales analytics.
    async fn admin(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Admin>> {
        viewer(ctx)?.require_staff()?;
        Ok(Some(Admin))
    }
}

/// Staff and admin views.
pub struct Admin;

/// Which orders `admin.orders` lists.
#[derive(Debug, Clone, Default, InputObject)]
pub struct OrderFilter {
    /// Only these statuses (`placed`, `paid`, …); all when absent.
    pub statuses: Option<Vec<String>>,
    /// Placed at or after this instant.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before this instant.
    pub placed_before: Option<DateTime<Utc>>,
    /// Placed by this customer.
    pub customer_id: Option<ID>,
}

/// Statuses an order can have.
const ORDER_STATUSES: [&str; 8] = [
    "placed",
    "confirmed",
    "paid",
    "shipped",
    "delivered",
    "rejected",
    "cancelled",
    "refunded",
];

impl OrderFilter {
    fn into_store(self) -> Result<StoreOrderFilter, QueryError> {
        let statuses = self.statuses.unwrap_or_default();
        if let Some(unknown) = statuses
            .iter()
            .find(|status| !ORDER_STATUSES.contains(&status.as_str()))
        {
            return Err(QueryError::BadUserInput(format!(
                "unknown order status {unknown:?}; expected one of {}",
                ORDER_STATUSES.join(", ")
            )));
        }
        if let (Some(from), Some(before)) = (self.placed_from, self.placed_before)
            && from >= before
        {
            return Err(QueryError::BadUserInput(
                "`placedFrom` must be before `placedBefore`".to_string(),
            ));
        }
        Ok(StoreOrderFilter {
            statuses,
            placed_from: self.placed_from,
            placed_before: self.placed_before,
            customer_id: self
                .customer_id
                .map(|id| parse_id(&id, "customer"))
                .transpose()?,
        })
    }
}

/// Staff and admin views.
#[Object]
impl Admin {
    /// Orders, newest first, with filters; `totalCount` and `totals` cover every match.
    #[graphql(complexity = "pagination::connection_complexity(first, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<OrderFilter>,
    ) -> async_graphql::Result<OrderConnection> {
        consistency::wait_for(ctx, ORDER_READS).await?;
        let size = pagination::page_size(first)?;
        let filter = filter.unwrap_or_default().into_store()?;
        let after = after
            .map(|cursor| pagination::decode_cursor::<OrderKey>(&cursor))
            .transpose()?;
        let rows = store(ctx)?
            .order_page(&filter, after.as_ref(), size + 1)
            .await?;
        Ok(OrderConnection::new(
            Page::from_overfetch(rows, size),
            filter,
        ))
    }

    /// Any order by id.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        let id = parse_id(&id, "order")?;
        consistency::wait_for(ctx, ORDER_READS).await?;
        Ok(loaders(ctx)?.commerce.orders.load_one(id).await?.map(Order))
    }

    /// Accounts, newest first; `emailPrefix` narrows by the start of the e-mail address.
    #[graphql(complexity = "pagination::connection_complexity(first, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        email_prefix: Option<String>,
    ) -> async_graphql::Result<CustomerConnection> {
        consistency::wait_for(ctx, CUSTOMER_READS).await?;
        let size = pagination::page_size(first)?;
        let after = after
            .map(|cursor| pagination::decode_cursor::<CustomerKey>(&cursor))
            .transpose()?;
        let prefix = email_prefix
            .map(|prefix| prefix.trim().to_string())
            .filter(|prefix| !prefix.is_empty());
        let rows = store(ctx)?
            .customer_page(prefix.as_deref(), after.as_ref(), size + 1)
            .await?;
        let page = Page::from_overfetch(rows, size);
        let edges: Vec<CustomerEdge> = page
            .rows
            .into_iter()
            .map(|row| CustomerEdge {
                cursor: pagination::encode_cursor(&CustomerKey {
                    created_at: row.created_at,
                    id: row.customer_id,
                }),
                node: Customer(row),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Ok(CustomerConnection {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            edges,
        })
    }

    /// Any account by id.
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Customer>> {
        let id = parse_id(&id, "customer")?;
        consistency::wait_for(ctx, CUSTOMER_READS).await?;
        Ok(loaders(ctx)?
            .commerce
            .customers
            .load_one(id)
            .await?
            .map(Customer))
    }

    /// SKUs at or below their low-stock threshold, lowest availability first.
    #[graphql(complexity = "pagination::connection_complexity(first, child_complexity)")]
    async fn low_stock(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<StockConnection> {
        consistency::wait_for(ctx, STOCK_READS).await?;
        let size = pagination::page_size(first)?;
        let after = after
            .map(|cursor| pagination::decode_cursor::<(i64, String)>(&cursor))
            .transpose()?;
        let rows = store(ctx)?
            .low_stock(after.as_ref().map(|(a, s)| (*a, s.as_str())), size + 1)
            .await?;
        let page = Page::from_overfetch(rows, size);
        let edges: Vec<StockEdge> = page
            .rows
            .into_iter()
            .map(|row| StockEdge {
                cursor: pagination::encode_cursor(&(row.available, row.sku.clone())),
                node: StockItem(Inventory(row)),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Ok(StockConnection {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            edges,
        })
    }

    /// Stock of one SKU with its open reservations.
    async fn stock(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> async_graphql::Result<Option<StockItem>> {
        consistency::wait_for(ctx, STOCK_READS).await?;
        Ok(loaders(ctx)?
            .inventory
            .load_one(sku)
            .await?
            .map(|row| StockItem(Inventory(row))))
    }

    /// Coupons by code, with their redemptions.
    #[graphql(complexity = "pagination::connection_complexity(first, child_complexity)")]
    async fn coupons(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CouponConnection> {
        consistency::wait_for(ctx, &[Projection::Coupons]).await?;
        let size = pagination::page_size(first)?;
        let after = after
            .map(|cursor| pagination::decode_cursor::<String>(&cursor))
            .transpose()?;
        let rows = store(ctx)?.coupon_page(after.as_deref(), size + 1).await?;
        let page = Page::from_overfetch(rows, size);
        let edges: Vec<CouponEdge> = page
            .rows
            .into_iter()
            .map(|row| CouponEdge {
                cursor: pagination::encode_cursor(&row.code),
                node: Coupon(row),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Ok(CouponConnection {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            edges,
        })
    }

    /// The latest dead-letter re-drives (at most 100), newest first. The letters still in
    /// the DLQ topic are not shown: query-api reads Postgres only (`agora-projector dlq`
    /// lists them).
    async fn dead_letter_redrives(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<Redrive>> {
        let size = pagination::page_size(Some(first.min(LIST_CAP)))?;
        let rows = store(ctx)?.redrives(size).await?;
        Ok(rows
            .into_iter()
            .map(|row| Redrive {
                log_epoch: ID(row.log_epoch.to_string()),
                projection: row.projection,
                partition: row.partition,
                offset: row.offset,
                event_id: ID(row.event_id.to_string()),
                redriven_at: row.redriven_at,
                outcome: row.outcome,
            })
            .collect())
    }

    /// Where each projection stands: its checkpoints per partition. Lag in records is not
    /// shown (it needs the broker; `agora-projector list` reports it).
    async fn projections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectionStatus>> {
        let mut statuses: Vec<ProjectionStatus> = Vec::new();
        for row in store(ctx)?.checkpoints().await? {
            let checkpoint = Checkpoint {
                partition: row.partition,
                next_offset: row.next_offset,
                owner_epoch: row.owner_epoch,
                log_epoch: ID(row.log_epoch.to_string()),
                updated_at: row.updated_at,
            };
            // Rows arrive ordered by projection, so a new name starts a new entry.
            match statuses.last_mut() {
                Some(last) if last.projection == row.projection => {
                    last.checkpoints.push(checkpoint);
                }
                _ => statuses.push(ProjectionStatus {
                    projection: row.projection,
                    checkpoints: vec![checkpoint],
                }),
            }
        }
        Ok(statuses)
    }

    /// Which generation of each rebuild unit readers see (units never rebuilt are at
    /// generation 1 and not listed).
    async fn projection_versions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProjectionVersion>> {
        Ok(store(ctx)?
            .projection_versions()
            .await?
            .into_iter()
            .map(|row| ProjectionVersion {
                unit: row.unit,
                generation: row.generation,
                code_version: row.code_version,
                switched_at: row.switched_at,
            })
            .collect())
    }

    /// Sales analytics from ClickHouse.
    async fn analytics(&self) -> SalesAnalytics {
        SalesAnalytics
    }
}

/// An account and its cursor.
#[derive(SimpleObject)]
pub struct CustomerEdge {
    /// Pass as `after` to continue after this account.
    pub cursor: String,
    /// The account.
    pub node: Customer,
}

/// A page of accounts.
#[derive(SimpleObject)]
pub struct CustomerConnection {
    /// The accounts of this page.
    pub edges: Vec<CustomerEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
}
