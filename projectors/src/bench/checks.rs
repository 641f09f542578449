//! Plausibility of the rebuilt stores: row counts that follow directly from what was
//! generated (one catalog row per product created, one order row per order placed, one fact
//! per stock movement, …). A projection that skipped or duplicated work shows up here even
//! when nothing was dead-lettered.

use serde::Serialize;

use super::{record::Tally, replay::Scratch};
use crate::error::ProjectorError;

/// One expected row count and what the store holds.
#[derive(Debug, Clone, Serialize)]
pub struct RowCheck {
    /// `postgres` or `clickhouse`.
    pub store: &'static str,
    /// Table.
    pub table: &'static str,
    /// Rows the generated log implies.
    pub expected: u64,
    /// Rows found.
    pub actual: u64,
}

impl RowCheck {
    /// Whether the count is as expected.
    pub fn ok(&self) -> bool {
        self.expected == self.actual
    }
}

/// Event types whose sum is the expected row count of a table.
struct Expectation {
    store: &'static str,
    table: &'static str,
    events: &'static [&'static str],
}

const EXPECTATIONS: &[Expectation] = &[
    Expectation {
        store: "postgres",
        table: "catalog_products",
        events: &["ProductCreated"],
    },
    Expectation {
        store: "postgres",
        table: "inventory_items",
        events: &["SkuRegistered"],
    },
    Expectation {
        store: "postgres",
        table: "customers",
        events: &["CustomerRegistered"],
    },
    Expectation {
        store: "postgres",
        table: "carts",
        events: &["CartCreated"],
    },
    Expectation {
        store: "postgres",
        table: "orders",
        events: &["OrderPlaced"],
    },
    Expectation {
        store: "postgres",
        table: "payments",
        events: &["PaymentInitiated"],
    },
    Expectation {
        store: "postgres",
        table: "coupons",
        events: &["CouponCreated"],
    },
    Expectation {
        store: "clickhouse",
        table: "stock_movements",
        events: &[
            "StockReceived",
            "StockAdjusted",
            "StockReserved",
            "ReservationReleased",
            "StockCommitted",
            "ReservationExpired",
            "StockRestocked",
        ],
    },
    Expectation {
        store: "clickhouse",
        table: "order_facts",
        events: &[
            "OrderPlaced",
            "OrderConfirmed",
            "OrderRejected",
            "OrderPaid",
            "OrderCancelled",
            "OrderShipped",
            "OrderDelivered",
            "OrderRefunded",
        ],
    },
    Expectation {
        store: "clickhouse",
        table: "payment_facts",
        events: &[
            "PaymentInitiated",
            "PaymentAuthorized",
            "PaymentCaptured",
            "PaymentDeclined",
            "PaymentFailed",
            "PaymentRefunded",
        ],
    },
];

/// Counts the rows of every expected table in `scratch`.
pub async fn row_checks(scratch: &Scratch, tally: &Tally) -> Result<Vec<RowCheck>, ProjectorError> {
    let mut checks = Vec::new();
    for expectation in EXPECTATIONS {
        let expected = expectation.events.iter().map(|t| tally.count(t)).sum();
        let actual = match expectation.store {
            "postgres" => count_pg(scratch, expectation.table).await?,
            _ => {
                scratch
                    .clickhouse
                    .query(&format!("SELECT count() FROM {} FINAL", expectation.table))
                    .fetch_one::<u64>()
                    .await?
            }
        };
        checks.push(RowCheck {
            store: expectation.store,
            table: expectation.table,
            expected,
            actual,
        });
    }
    checks.push(RowCheck {
        store: "postgres",
        table: "catalog_variants",
        expected: tally.variants,
        actual: count_pg(scratch, "catalog_variants").await?,
    });
    checks.push(RowCheck {
        store: "postgres",
        table: "order_lines",
        expected: tally.order_lines,
        actual: count_pg(scratch, "order_lines").await?,
    });
    Ok(checks)
}

async fn count_pg(scratch: &Scratch, table: &str) -> Result<u64, ProjectorError> {
    let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&scratch.pool)
        .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}
