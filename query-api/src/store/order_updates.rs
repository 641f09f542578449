//! The slice of an order row a subscription pushes (`orders`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Store;
use crate::error::QueryError;

/// An order's status and totals, as a subscription reports them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderUpdateRow {
    /// The order.
    pub order_id: Uuid,
    /// Its owner.
    pub customer_id: Uuid,
    /// Lifecycle status as stored (`placed`, `confirmed`, `paid`, …).
    pub status: String,
    /// Amount due, minor units.
    pub total_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Stream version of the last event applied.
    pub stream_version: i64,
    /// When the last event happened.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// The order `id`, if the read model has it.
    pub async fn order_update(&self, id: Uuid) -> Result<Option<OrderUpdateRow>, QueryError> {
        let row = sqlx::query_as::<_, OrderUpdateRow>(
            "SELECT order_id, customer_id, status, total_minor, currency, stream_version,
                    updated_at
             FROM orders WHERE order_id = $1",
        )
        .bind(id)
        .fetch_optional(self.counted())
        .await?;
        Ok(row)
    }
}
