//! Orders: `order(id)` for their owner and staff, and the `Order` type with its lines, status
//! history and payment (each a DataLoader relation), plus the `OrderConnection` that
//! `Customer.orders` and `admin.orders` return.

use async_graphql::{Context, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    customers::{Address, Customer},
    loaders,
    money::Money,
    products::Product,
    store, viewer,
};
use crate::{
    consistency::{self, Projection},
    error::QueryError,
    pagination::{self, Page, PageInfo},
    store::orders::{OrderFilter, OrderLineRow, OrderRow, PaymentRow, StatusChangeRow},
};

/// What an order read needs: the order (lines, history) and its payment.
pub const ORDER_READS: &[Projection] = &[Projection::Orders, Projection::Payments];

/// Order queries.
#[derive(Default)]
pub struct OrdersQuery;

/// Order queries.
#[Object]
impl OrdersQuery {
    /// One order, for the customer who placed it or staff. Needs a token
    /// (`UNAUTHENTICATED`); another customer's order is `NOT_FOUND`, like a missing one, so
    /// order ids cannot be probed.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        let viewer = viewer(ctx)?;
        viewer.require_account()?;
        let id = parse_id(&id, "order")?;
        consistency::wait_for(ctx, ORDER_READS).await?;
        match loaders(ctx)?.commerce.orders.load_one(id).await? {
            Some(row) if viewer.may_read_owned_by(row.customer_id) => Ok(Some(Order(row))),
            _ => Err(QueryError::NotFound { what: "order" }.into()),
        }
    }
}

/// Parses a UUID argument, naming what it should identify when it is not one.
pub fn parse_id(id: &ID, what: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(id).map_err(|_| {
        QueryError::BadUserInput(format!(
            "`id` must be a {what} id (UUID), got {:?}",
            id.as_str()
        ))
    })
}

/// An order.
pub struct Order(pub OrderRow);

/// An order.
#[Object]
impl Order {
    /// Order id.
    async fn id(&self) -> ID {
        ID(self.0.order_id.to_string())
    }

    /// Who placed it (null if the account is not in the read model yet).
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let row = loaders(ctx)?
            .commerce
            .customers
            .load_one(self.0.customer_id)
            .await?;
        Ok(row.map(Customer))
    }

    /// `placed`, `confirmed`, `paid`, `shipped`, `delivered`, `rejected`, `cancelled` or
    /// `refunded`.
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// Sum of the lines.
    async fn subtotal(&self) -> Money {
        Money::new(self.0.subtotal_minor, &self.0.currency)
    }

    /// Coupon discount.
    async fn discount(&self) -> Money {
        Money::new(self.0.discount_minor, &self.0.currency)
    }

    /// What the customer pays.
    async fn total(&self) -> Money {
        Money::new(self.0.total_minor, &self.0.currency)
    }

    /// Captured so far.
    async fn paid(&self) -> Money {
        Money::new(self.0.paid_minor, &self.0.currency)
    }

    /// Refunded so far.
    async fn refunded(&self) -> Money {
        Money::new(self.0.refunded_minor, &self.0.currency)
    }

    /// Owed back after a cancellation.
    async fn refund_due(&self) -> Money {
        Money::new(self.0.refund_due_minor, &self.0.currency)
    }

    /// Coupon applied, if any.
    async fn coupon_code(&self) -> Option<&str> {
        self.0.coupon_code.as_deref()
    }

    /// Where it ships.
    async fn shipping_address(&self) -> Result<Address, QueryError> {
        Address::parse(&self.0.shipping_address, "order")
    }

    /// Status of the current payment, if one was started.
    async fn payment_status(&self) -> Option<&str> {
        self.0.payment_status.as_deref()
    }

    /// The current payment: a captured or refunded one if any, else the latest started.
    async fn payment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Payment>> {
        let Some(id) = self.0.payment_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .commerce
            .payments
            .load_one(id)
            .await?
            .map(Payment))
    }

    /// Why it was rejected.
    async fn reject_reason(&self) -> Option<&str> {
        self.0.reject_reason.as_deref()
    }

    /// Why it was cancelled.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }

    /// Shipping carrier, once shipped.
    async fn carrier(&self) -> Option<&str> {
        self.0.carrier.as_deref()
    }

    /// Tracking number, once shipped.
    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
    }

    /// When it was placed.
    async fn placed_at(&self) -> DateTime<Utc> {
        self.0.placed_at
    }

    /// When it was paid.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }

    /// Time of the order's latest event.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The lines, in order.
    #[graphql(complexity = "super::VARIANTS_WEIGHT * child_complexity")]
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderLine>> {
        let rows = loaders(ctx)?
            .commerce
            .order_lines
            .load_one(self.0.order_id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(OrderLine).collect())
    }

    /// Every status change and refund, oldest first.
    #[graphql(complexity = "super::VARIANTS_WEIGHT * child_complexity")]
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StatusChange>> {
        let rows = loaders(ctx)?
            .commerce
            .order_history
            .load_one(self.0.order_id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(StatusChange).collect())
    }
}

/// One line of an order.
pub struct OrderLine(pub OrderLineRow);

/// One line of an order.
#[Object]
impl OrderLine {
    /// Line number.
    async fn line(&self) -> i32 {
        self.0.line
    }

    /// SKU ordered.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    /// The product, if the caller may still see it (a deleted product reads as null).
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        Ok(loaders(ctx)?
            .products
            .load_one(self.0.product_id)
            .await?
            .map(Product))
    }

    /// Units.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// Price per unit at placement.
    async fn unit_price(&self) -> Money {
        Money::new(self.0.unit_price_minor, &self.0.currency)
    }

    /// Unit price × quantity.
    async fn line_total(&self) -> Money {
        let total = self
            .0
            .unit_price_minor
            .saturating_mul(i64::from(self.0.quantity));
        Money::new(total, &self.0.currency)
    }

    /// Stock for the line: `pending`, `reserved` or `refused`.
    async fn stock_state(&self) -> &str {
        &self.0.state
    }
}

/// A change of an order's status (or a refund).
pub struct StatusChange(pub StatusChangeRow);

/// A change of an order's status (or a refund).
#[Object]
impl StatusChange {
    /// Status after the change.
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Details of the event (reason, carrier, refund amount…), as recorded.
    async fn detail(&self) -> Json<serde_json::Value> {
        Json(self.0.detail.clone())
    }
}

/// A payment of an order.
pub struct Payment(pub PaymentRow);

/// A payment of an order.
#[Object]
impl Payment {
    /// Payment id.
    async fn id(&self) -> ID {
        ID(self.0.payment_id.to_string())
    }

    /// `initiated`, `authorized`, `captured`, `declined`, `failed` or `refunded`.
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// Amount asked for.
    async fn amount(&self) -> Money {
        Money::new(self.0.amount_minor, &self.0.currency)
    }

    /// Captured.
    async fn captured(&self) -> Money {
        Money::new(self.0.captured_minor, &self.0.currency)
    }

    /// Refunded.
    async fn refunded(&self) -> Money {
        Money::new(self.0.refunded_minor, &self.0.currency)
    }

    /// `card` or `wallet`.
    async fn method(&self) -> &str {
        &self.0.method
    }

    /// The provider's reason for the latest decline or failure.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }

    /// When it was started.
    async fn initiated_at(&self) -> DateTime<Utc> {
        self.0.initiated_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An order and its cursor.
#[derive(SimpleObject)]
pub struct OrderEdge {
    /// Pass as `after` to continue after this order.
    pub cursor: String,
    /// The order.
    pub node: Order,
}

/// Orders in one currency: how many and their money.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct OrderTotals {
    /// Orders.
    pub orders: i64,
    /// Sum of their totals.
    pub total: Money,
    /// Captured for them.
    pub paid: Money,
    /// Refunded to them.
    pub refunded: Money,
}

/// A page of orders, newest first.
pub struct OrderConnection {
    edges: Vec<OrderEdge>,
    page_info: PageInfo,
    filter: OrderFilter,
}

impl OrderConnection {
    /// The connection for one page of `filter`'s orders.
    pub fn new(page: Page<OrderRow>, filter: OrderFilter) -> Self {
        let edges: Vec<OrderEdge> = page
            .rows
            .into_iter()
            .map(|row| OrderEdge {
                cursor: pagination::encode_cursor(&row.key()),
                node: Order(row),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Self {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            edges,
            filter,
        }
    }
}

/// A page of orders, newest first.
#[Object]
impl OrderConnection {
    /// The orders of this page.
    async fn edges(&self) -> &[OrderEdge] {
        &self.edges
    }

    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many orders match, on every page (one extra query when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let totals = store(ctx)?.order_totals(&self.filter).await?;
        Ok(totals.iter().map(|row| row.orders).sum())
    }

    /// Count and money of every matching order, per currency (one extra query when asked).
    async fn totals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderTotals>> {
        let rows = store(ctx)?.order_totals(&self.filter).await?;
        Ok(rows
            .into_iter()
            .map(|row| OrderTotals {
                orders: row.orders,
                total: Money::new(row.total_minor, &row.currency),
                paid: Money::new(row.paid_minor, &row.currency),
                refunded: Money::new(row.refunded_minor, &row.currency),
            })
            .collect())
    }
}
