//! kill -9 while checkout traffic streams in: after restart, the checkout read models (whose
//! orders, payments and customers columns cross projections) equal a rebuild from offset 0.

use std::{collections::VecDeque, time::Duration};

use chrono::Utc;
use domain::{
    cart::{self, Cart, CartCommand},
    coupon::{self, Coupon, CouponCommand, Discount},
    customer::{self, Customer},
    order::{self, CancelReason, Order, OrderCommand},
    payment::{self, Payment, PaymentCommand},
    values::{CouponCode, Sku},
};
use projectors::{config::Config, projections, rebuild};
use runtime::testing::{TestNamespace, eventually};
use uuid::Uuid;

use crate::{
    catalog_and_inventory::eur,
    checkout::{commit, initiate, place, register},
    support::{Log, Model, Pending, pg, positions, send_with, spawn_projector, wait_caught_up},
};

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// Domain models of every checkout aggregate, deciding what the processors would write.
#[derive(Default)]
struct Shop {
    customers: Model<Customer>,
    carts: Model<Cart>,
    orders: Model<Order>,
    payments: Model<Payment>,
    coupons: Model<Coupon>,
    /// Commits of the one shared coupon stream, kept out of the visits so that interleaving
    /// the visits cannot reorder a stream.
    coupon_flow: Vec<Pending>,
}

impl Shop {
    /// The commits of one customer's visit, in order: registration, a cart, and an order that
    /// ends one of several ways (with payments on their own streams); its coupon commits go to
    /// `coupon_flow`.
    fn visit(&mut self, log: &mut Log, rng: &mut Rng, i: usize, code: &CouponCode) -> Vec<Pending> {
        let customer_id = Uuid::now_v7();
        let customer_stream = customer::stream_id(customer_id);
        let mut flow = vec![commit(
            log,
            &mut self.customers,
            &customer_stream,
            register(customer_id, &format!("shopper{i}@example.com")),
        )];
        let cart_id = Uuid::now_v7();
        let cart_stream = cart::stream_id(cart_id);
        flow.push(commit(
            log,
            &mut self.carts,
            &cart_stream,
            CartCommand::CreateCart {
                cart_id,
                customer_id: Some(customer_id),
            },
        ));
        flow.push(commit(
            log,
            &mut self.carts,
            &cart_stream,
            CartCommand::AddCartLine {
                sku: Sku::parse(&format!("SKU-{}", rng.below(5))).unwrap(),
                product_id: Uuid::from_u128(9),
                quantity: 1 + rng.below(3) as u32,
                unit_price: eur(1_000),
            },
        ));
        let order_id = Uuid::now_v7();
        let order_stream = order::stream_id(order_id);
        let quantities = [1 + rng.below(3) as u32, 1 + rng.below(2) as u32];
        let total = 1_000 * i64::from(quantities[0]) + 2_000 * i64::from(quantities[1]);
        let coupon_stream = coupon::stream_id(code);
        self.coupon_flow.push(commit(
            log,
            &mut self.coupons,
            &coupon_stream,
            CouponCommand::RedeemCoupon {
                order_id,
                customer_id,
                subtotal: eur(total),
                now: Utc::now(),
            },
        ));
        flow.push(commit(
            log,
            &mut self.orders,
            &order_stream,
            place(order_id, customer_id, &quantities),
        ));
        flow.push(commit(
            log,
            &mut self.orders,
            &order_stream,
            OrderCommand::RecordLineReserved { line: 1 },
        ));
        let outcome = rng.below(4);
        if outcome == 0 {
            flow.push(commit(
                log,
                &mut self.orders,
                &order_stream,
                OrderCommand::RecordLineRefused { line: 2 },
            ));
            self.coupon_flow.push(commit(
                log,
                &mut self.coupons,
                &coupon_stream,
                CouponCommand::ReleaseRedemption { order_id },
            ));
            return flow;
        }
        flow.push(commit(
            log,
            &mut self.orders,
            &order_stream,
            OrderCommand::RecordLineReserved { line: 2 },
        ));
        if outcome == 1 {
            flow.push(commit(
                log,
                &mut self.orders,
                &order_stream,
                OrderCommand::CancelOrder {
                    reason: CancelReason::PaymentTimeout,
                },
            ));
            return flow;
        }
        let payment_id = Uuid::now_v7();
        let payment_stream = payment::stream_id(payment_id);
        for command in [
            initiate(payment_id, order_id, total),
            PaymentCommand::AuthorizePayment {
                amount: eur(total),
                provider_reference: format!("sim-{i}"),
            },
            PaymentCommand::CapturePayment { amount: eur(total) },
        ] {
            flow.push(commit(log, &mut self.payments, &payment_stream, command));
        }
        flow.push(commit(
            log,
            &mut self.orders,
            &order_stream,
            OrderCommand::MarkOrderPaid {
                payment_id,
                amount: eur(total),
            },
        ));
        if outcome == 3 {
            flow.push(commit(
                log,
                &mut self.orders,
                &order_stream,
                OrderCommand::ShipOrder {
                    carrier: "DHL".into(),
                    tracking_number: format!("T{i}"),
                },
            ));
        }
        flow
    }
}

/// Interleaves flows at random, keeping each flow's own order.
fn interleave(rng: &mut Rng, flows: Vec<Vec<Pending>>) -> Vec<Pending> {
    let mut flows: Vec<VecDeque<Pending>> = flows.into_iter().map(VecDeque::from).collect();
    let mut records = Vec::new();
    while !flows.is_empty() {
        let index = rng.below(flows.len());
        if let Some(pending) = flows[index].pop_front() {
            records.push(pending);
        }
        if flows[index].is_empty() {
            flows.swap_remove(index);
        }
    }
    records
}

const CHECKOUT_TABLES: &[&str] = &[
    "customers",
    "carts",
    "cart_lines",
    "orders",
    "order_lines",
    "order_status_history",
    "payments",
    "coupons",
    "coupon_redemptions",
];

#[tokio::test]
async fn after_kill_9_mid_checkout_traffic_the_checkout_read_models_equal_a_rebuild() {
    let ns = TestNamespace::create("projector-checkout-crash")
        .await
        .unwrap();
    let mut log = Log::open(&ns).await;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut shop = Shop::default();
    let code = CouponCode::parse("CRASH10").unwrap();
    let now = Utc::now();
    let opening = commit(
        &mut log,
        &mut shop.coupons,
        &coupon::stream_id(&code),
        CouponCommand::CreateCoupon {
            code: code.clone(),
            discount: Discount::Percentage { basis_points: 500 },
            min_order_value: None,
            valid_from: now - chrono::Duration::days(1),
            valid_until: now + chrono::Duration::days(1),
            global_limit: None,
            per_customer_limit: Some(1),
        },
    );
    log.send(vec![opening]).await;
    let mut flows: Vec<Vec<Pending>> = (0..400)
        .map(|i| shop.visit(&mut log, &mut rng, i, &code))
        .collect();
    flows.push(std::mem::take(&mut shop.coupon_flow));
    let records = interleave(&mut rng, flows);
    let (first, rest) = records.split_at(records.len() / 3);
    log.send(first.to_vec()).await;
    let before_rest: i64 = log.ends().iter().sum();

    let mut projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    let (started, rest_started) = tokio::sync::oneshot::channel();
    let (killed, was_killed) = tokio::sync::oneshot::channel::<()>();
    let (burst, held_back) = rest.split_at(rest.len() / 2);
    let (burst, held_back) = (burst.to_vec(), held_back.to_vec());
    let producer = log.producer.clone();
    let topic = log.topic.clone();
    let writer = tokio::spawn(async move {
        let mut delivered = Vec::new();
        let mut started = Some(started);
        for chunk in burst.chunks(200) {
            delivered.extend(send_with(&producer, &topic, chunk.to_vec()).await);
            if let Some(signal) = started.take() {
                let _ = signal.send(());
            }
        }
        let _ = was_killed.await;
        for chunk in held_back.chunks(200) {
            delivered.extend(send_with(&producer, &topic, chunk.to_vec()).await);
        }
        delivered
    });
    rest_started.await.unwrap();
    eventually(
        Duration::from_secs(180),
        "the checkout projections to commit batches past the first third",
        || async {
            let Some(positions) = positions(&ns, &pool).await else {
                return Ok(None);
            };
            let busy = [
                projections::orders::NAME,
                projections::payments::NAME,
                projections::customers::NAME,
            ]
            .iter()
            .all(|name| {
                positions
                    .get(*name)
                    .is_some_and(|p| p.iter().sum::<i64>() > before_rest)
            });
            Ok(busy.then_some(()))
        },
    )
    .await
    .unwrap();
    projector.kill9().unwrap();
    killed.send(()).unwrap();

    let _projector = spawn_projector(&ns);
    let delivered = writer.await.unwrap();
    log.delivered(&delivered);
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(300)).await;

    let config = Config::new(
        ns.kafka.clone(),
        &ns.database_url,
        &ns.clickhouse_url,
        &ns.clickhouse_database,
    );
    let report = rebuild::rebuild_check(&config, false).await.unwrap();
    assert!(report.matches(), "rebuild differs: {report:#?}");
    for table in CHECKOUT_TABLES {
        let compared = report.tables.iter().find(|t| t.table == *table);
        assert!(
            compared.is_some_and(|t| t.live_rows > 0),
            "{table} compared with rows: {report:#?}"
        );
    }

    // The crossing columns agree with the domain after all that.
    let paid: Vec<(Uuid, Option<String>)> = sqlx::query_as(
        "SELECT order_id, payment_status FROM orders WHERE paid_at IS NOT NULL ORDER BY order_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut expected: Vec<Uuid> = shop
        .orders
        .streams()
        .filter(|(_, state)| state.paid().is_some())
        .map(|(_, state)| state.placed().unwrap().order_id)
        .collect();
    expected.sort();
    assert_eq!(paid.iter().map(|(id, _)| *id).collect::<Vec<_>>(), expected);
    assert!(paid.iter().all(|(_, s)| s.as_deref() == Some("captured")));
    let counted: i64 = sqlx::query_scalar("SELECT sum(order_count) FROM customers")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(counted, expected.len() as i64);
    let redemptions: i32 = sqlx::query_scalar("SELECT redemptions FROM coupons WHERE code = $1")
        .bind(code.as_str())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        redemptions as usize,
        shop.coupons
            .state(&coupon::stream_id(&code))
            .active_redemptions()
    );
}
