//! Sales facts and their rollups in ClickHouse: totals equal the Postgres orders, a replayed
//! batch changes nothing, and a kill -9 mid-stream never double counts.

use std::time::Duration;

use clickhouse::Row;
use domain::{
    cart::{self, Cart, CartCommand},
    customer::{self, Customer},
    order::{self, Order, OrderCommand},
    payment::{self, Payment, PaymentCommand},
    values::Sku,
};
use projectors::{analytics, projections::sales_facts};
use runtime::testing::{TestNamespace, eventually};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    catalog_and_inventory::eur,
    checkout::{commit, initiate, place, register},
    support::{Log, Model, Pending, ch, pg, spawn_projector, wait_caught_up},
};

/// Writes orders, payments and carts as the command processors would.
struct Shop {
    customers: Model<Customer>,
    orders: Model<Order>,
    payments: Model<Payment>,
    carts: Model<Cart>,
    customer_id: Uuid,
}

impl Shop {
    fn open(log: &mut Log) -> (Self, Pending) {
        let mut shop = Self {
            customers: Model::default(),
            orders: Model::default(),
            payments: Model::default(),
            carts: Model::default(),
            customer_id: Uuid::now_v7(),
        };
        let stream = customer::stream_id(shop.customer_id);
        let registered = commit(
            log,
            &mut shop.customers,
            &stream,
            register(shop.customer_id, "analyst@example.com"),
        );
        (shop, registered)
    }

    /// A cart with one line, then an order of `quantities`, paid when `paid`.
    fn checkout(&mut self, log: &mut Log, quantities: &[u32], paid: bool) -> Vec<Pending> {
        let cart_id = Uuid::now_v7();
        let cart_stream = cart::stream_id(cart_id);
        let mut records = vec![
            commit(
                log,
                &mut self.carts,
                &cart_stream,
                CartCommand::CreateCart {
                    cart_id,
                    customer_id: Some(self.customer_id),
                },
            ),
            commit(
                log,
                &mut self.carts,
                &cart_stream,
                CartCommand::AddCartLine {
                    sku: Sku::parse("SKU-1").unwrap(),
                    product_id: Uuid::from_u128(1),
                    quantity: quantities[0],
                    unit_price: eur(1_000),
                },
            ),
        ];
        let order_id = Uuid::now_v7();
        let order_stream = order::stream_id(order_id);
        let placement = place(order_id, self.customer_id, quantities);
        let OrderCommand::PlaceOrder { total, .. } = &placement else {
            unreachable!("place builds a placement")
        };
        let total = total.amount_minor;
        records.push(commit(log, &mut self.orders, &order_stream, placement));
        for line in 1..=quantities.len() as u32 {
            records.push(commit(
                log,
                &mut self.orders,
                &order_stream,
                OrderCommand::RecordLineReserved { line },
            ));
        }
        if paid {
            let payment_id = Uuid::now_v7();
            let payment_stream = payment::stream_id(payment_id);
            for command in [
                initiate(payment_id, order_id, total),
                PaymentCommand::AuthorizePayment {
                    amount: eur(total),
                    provider_reference: format!("sim_{payment_id}"),
                },
                PaymentCommand::CapturePayment { amount: eur(total) },
            ] {
                records.push(commit(log, &mut self.payments, &payment_stream, command));
            }
            records.push(commit(
                log,
                &mut self.orders,
                &order_stream,
                OrderCommand::MarkOrderPaid {
                    payment_id,
                    amount: eur(total),
                },
            ));
        }
        records
    }
}

/// Sums an analyst reads from the rollups.
#[derive(Debug, Clone, PartialEq, Row, Deserialize)]
struct Rollups {
    units: u64,
    revenue_minor: i64,
    carts_created: u64,
    orders_placed: u64,
    orders_paid: u64,
}

/// The same sums from the Postgres read models.
async fn expected(pool: &PgPool) -> Rollups {
    let (units, revenue, placed, paid): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT coalesce(sum(quantity), 0)::bigint FROM order_lines),
                coalesce(sum(subtotal_minor), 0)::bigint,
                count(*),
                count(paid_at)
         FROM orders",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let (carts,): (i64,) = sqlx::query_as("SELECT count(*) FROM carts")
        .fetch_one(pool)
        .await
        .unwrap();
    Rollups {
        units: units as u64,
        revenue_minor: revenue,
        carts_created: carts as u64,
        orders_placed: placed as u64,
        orders_paid: paid as u64,
    }
}

async fn rollups(client: &clickhouse::Client) -> Rollups {
    client
        .query(
            "SELECT
                 (SELECT sum(units) FROM sales_daily) AS u,
                 (SELECT sum(revenue_minor) FROM sales_daily) AS r,
                 (SELECT sum(carts_created) FROM funnel_daily) AS c,
                 (SELECT sum(orders_placed) FROM funnel_daily) AS o,
                 (SELECT sum(orders_paid) FROM funnel_daily) AS p",
        )
        .fetch_one()
        .await
        .unwrap()
}

/// Waits until the Postgres read models and the sales facts have read all of `log`.
async fn wait_all_caught_up(ns: &TestNamespace, log: &Log, pool: &PgPool) {
    wait_caught_up(ns, log, pool, Duration::from_secs(240)).await;
    let marks = log.ends();
    let client = ch(ns);
    eventually(
        Duration::from_secs(240),
        "the sales facts to reach the end of the log",
        || {
            let (client, marks) = (client.clone(), marks.clone());
            async move {
                let positions = analytics::load_positions(
                    &client,
                    sales_facts::NAME,
                    ns.log_epoch,
                    ns.kafka.partitions,
                )
                .await?;
                let reached: Vec<i64> = positions.iter().map(|p| p.next_offset).collect();
                Ok((reached == marks).then_some(()))
            }
        },
    )
    .await
    .unwrap();
}

/// Inserts every stored row of `table` once more, as a replay after a crash would.
async fn insert_again<T>(client: &clickhouse::Client, table: &str)
where
    T: clickhouse::RowOwned + clickhouse::RowRead + clickhouse::RowWrite,
{
    let rows: Vec<T> = client
        .query(&format!("SELECT ?fields FROM {table} FINAL"))
        .fetch_all()
        .await
        .unwrap();
    assert!(!rows.is_empty(), "{table} has facts to replay");
    let mut insert = client.insert::<T>(table).await.unwrap();
    for row in &rows {
        insert.write(row).await.unwrap();
    }
    insert.end().await.unwrap();
}

#[derive(Debug, Row, Serialize, Deserialize)]
struct StatusCount {
    status: String,
    orders: u64,
}

#[tokio::test]
async fn rollups_equal_the_orders_and_a_replayed_batch_changes_nothing() {
    let ns = TestNamespace::create("projector-analytics").await.unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, registered) = Shop::open(&mut log);
    let mut records = vec![registered];
    records.extend(shop.checkout(&mut log, &[2, 1], true));
    records.extend(shop.checkout(&mut log, &[1], false));
    records.extend(shop.checkout(&mut log, &[3, 2, 1], true));
    log.send(records).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_all_caught_up(&ns, &log, &pool).await;
    let client = ch(&ns);

    let statuses: Vec<StatusCount> = client
        .query(
            "SELECT status, uniqExact(order_id) AS orders FROM order_facts FINAL
             GROUP BY status ORDER BY status",
        )
        .fetch_all()
        .await
        .unwrap();
    let statuses: Vec<(&str, u64)> = statuses
        .iter()
        .map(|s| (s.status.as_str(), s.orders))
        .collect();
    assert_eq!(statuses, vec![("confirmed", 3), ("paid", 2), ("placed", 3)]);
    let before = rollups(&client).await;
    let want = expected(&pool).await;
    assert_eq!(before, want);
    assert_eq!((want.orders_placed, want.orders_paid), (3, 2));

    // A crash between the facts and the position: the batch's facts arrive a second time.
    insert_again::<sales_facts::rows::OrderFact>(&client, "order_facts").await;
    insert_again::<sales_facts::rows::OrderLineFact>(&client, "order_line_facts").await;
    insert_again::<sales_facts::rows::PaymentFact>(&client, "payment_facts").await;
    insert_again::<sales_facts::rows::CartFact>(&client, "cart_facts").await;
    assert_eq!(rollups(&client).await, before);
}

#[tokio::test]
async fn after_kill_9_mid_stream_the_rollups_still_equal_the_orders() {
    let ns = TestNamespace::create("projector-analytics-crash")
        .await
        .unwrap();
    let mut log = Log::open(&ns).await;
    let (mut shop, registered) = Shop::open(&mut log);
    let mut first = vec![registered];
    for i in 0..300u32 {
        first.extend(shop.checkout(&mut log, &[1 + i % 3, 2], i % 2 == 0));
    }
    let mut rest = Vec::new();
    for i in 0..300u32 {
        rest.extend(shop.checkout(&mut log, &[2, 1 + i % 4], i % 3 != 0));
    }
    log.send(first).await;

    let mut projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    let client = ch(&ns);
    eventually(
        Duration::from_secs(180),
        "the sales facts to commit a first batch",
        || {
            let client = client.clone();
            let ns = &ns;
            async move {
                // Before the projector's migrations ran there is no positions table yet.
                let Ok(positions) = analytics::load_positions(
                    &client,
                    sales_facts::NAME,
                    ns.log_epoch,
                    ns.kafka.partitions,
                )
                .await
                else {
                    return Ok(None);
                };
                Ok(positions.iter().any(|p| p.next_offset > 0).then_some(()))
            }
        },
    )
    .await
    .unwrap();
    projector.kill9().unwrap();
    log.send(rest).await;

    let _projector = spawn_projector(&ns);
    wait_all_caught_up(&ns, &log, &pool).await;
    let want = expected(&pool).await;
    assert_eq!(want.orders_placed, 600);
    assert_eq!(rollups(&client).await, want);
}
