//! Sales facts in ClickHouse: orders, order lines, payments and carts, one row per event (per
//! line for placements and merges), with the `sales_daily` and `funnel_daily` rollups as views.
//!
//! Per batch: insert the facts of every table, then the position (all in ClickHouse), as
//! [`super::stock_movements`] does. Every row is a pure function of the log, and each table
//! collapses duplicates on a key that contains the event id, so a batch replayed after a crash
//! between the inserts re-inserts identical rows that `FINAL` reads once. The rollups are views
//! over `FINAL` (never materialized views, which would add the duplicates up before any merge):
//! see `docs/ANALYTICS.md`.
//!
//! # Layout
//! - [`rows`]: the pure event → row mapping.

pub mod rows;
#[cfg(test)]
mod tests;

use clickhouse::Client;
use domain::{
    Aggregate,
    cart::{Cart, CartEvent},
    order::{Order, OrderEvent},
    payment::{Payment, PaymentEvent},
};
use runtime::log::PartitionStart;
use uuid::Uuid;

use crate::{
    analytics,
    decode::{Decoded, decode_items},
    dlq::DeadLetters,
    error::ProjectorError,
    runner::{Batch, Outcome, Projection},
};
use rows::{CartHeader, Facts, Known, OrderHeader, PaymentHeader};

/// Position name.
pub const NAME: &str = "sales_facts";

/// The fact tables this projection fills, in insert order.
pub const TABLES: &[&str] = &[
    "order_facts",
    "order_line_facts",
    "payment_facts",
    "cart_facts",
];

/// The sales facts projection.
pub struct SalesFacts {
    client: Client,
    log_epoch: Uuid,
    known: Known,
}

impl SalesFacts {
    /// The projection into `client`'s database, for the log `log_epoch`.
    pub fn new(client: Client, log_epoch: Uuid) -> Self {
        Self {
            client,
            log_epoch,
            known: Known::default(),
        }
    }

    /// Reloads what earlier placements, initiations and creations said from the facts
    /// themselves (they hold everything up to the stored position, and maybe a little more:
    /// the same rows a replay would write again).
    pub async fn load_known(&mut self) -> Result<(), ProjectorError> {
        let orders: Vec<OrderHeader> = self
            .client
            .query("SELECT ?fields FROM order_facts FINAL WHERE status = 'placed'")
            .fetch_all()
            .await?;
        let payments: Vec<PaymentHeader> = self
            .client
            .query("SELECT ?fields FROM payment_facts FINAL WHERE kind = 'initiated'")
            .fetch_all()
            .await?;
        let carts: Vec<CartHeader> = self
            .client
            .query("SELECT ?fields FROM cart_facts FINAL WHERE action = 'created'")
            .fetch_all()
            .await?;
        self.known = Known {
            orders: orders.into_iter().map(|o| (o.order_id, o)).collect(),
            payments: payments.into_iter().map(|p| (p.payment_id, p)).collect(),
            carts: carts
                .into_iter()
                .map(|c| (c.cart_id, c.customer_id))
                .collect(),
        };
        Ok(())
    }

    /// Inserts the facts of decoded order, payment and cart events (learning placements,
    /// initiations and creations on the way); inserting the same events again writes
    /// identical rows, which collapse.
    pub async fn write(
        &mut self,
        orders: &[Decoded<OrderEvent>],
        payments: &[Decoded<PaymentEvent>],
        carts: &[Decoded<CartEvent>],
    ) -> Result<(), ProjectorError> {
        let mut facts = Facts::default();
        facts.add_orders(orders, &mut self.known);
        facts.add_payments(payments, &mut self.known);
        facts.add_carts(carts, &mut self.known);
        analytics::insert_rows(&self.client, "order_facts", &facts.orders).await?;
        analytics::insert_rows(&self.client, "order_line_facts", &facts.lines).await?;
        analytics::insert_rows(&self.client, "payment_facts", &facts.payments).await?;
        analytics::insert_rows(&self.client, "cart_facts", &facts.carts).await
    }
}

impl Projection for SalesFacts {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregates(&self) -> Option<Vec<&'static str>> {
        Some(vec![
            <Order as Aggregate>::KIND,
            <Payment as Aggregate>::KIND,
            <Cart as Aggregate>::KIND,
        ])
    }

    async fn starts(&mut self, partitions: i32) -> Result<Vec<PartitionStart>, ProjectorError> {
        self.load_known().await?;
        analytics::load_positions(&self.client, NAME, self.log_epoch, partitions).await
    }

    async fn commit(
        &mut self,
        batch: &Batch,
        dlq: &DeadLetters,
    ) -> Result<Outcome, ProjectorError> {
        let orders = decode_items::<Order>(&batch.items, NAME, dlq).await?;
        let payments = decode_items::<Payment>(&batch.items, NAME, dlq).await?;
        let carts = decode_items::<Cart>(&batch.items, NAME, dlq).await?;
        self.write(&orders, &payments, &carts).await?;
        analytics::store_positions(&self.client, NAME, self.log_epoch, &batch.advances).await?;
        Ok(Outcome::Committed)
    }
}
