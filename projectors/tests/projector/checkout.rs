//! Checkout events become `customers`, `carts`/`cart_lines` and `coupons` rows; helpers that
//! write checkout commits for the other checkout tests.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{
    Aggregate,
    cart::{self, Cart, CartCommand},
    coupon::{self, Coupon, CouponCommand, Discount},
    customer::{self, Customer, CustomerCommand, Role},
    order::{OrderCommand, OrderLine},
    payment::{PaymentCommand, PaymentMethod},
    values::{Address, CouponCode, Email, Sku},
};
use runtime::testing::TestNamespace;
use uuid::Uuid;

use crate::{
    catalog_and_inventory::eur,
    support::{Log, Model, Pending, pg, spawn_projector, wait_caught_up},
};

/// Decides `command` on `stream` with `model` and returns the commit the processor would write.
pub fn commit<A: Aggregate>(
    log: &mut Log,
    model: &mut Model<A>,
    stream: &str,
    command: A::Command,
) -> Pending {
    let events = model.decide(stream, command);
    log.commit::<A>(stream, &events)
}

pub fn address(city: &str) -> Address {
    Address {
        recipient: "Ada Lovelace".into(),
        line1: "12 Analytical Row".into(),
        line2: String::new(),
        city: city.into(),
        postal_code: "10115".into(),
        region: String::new(),
        country: "DE".into(),
    }
}

pub fn register(customer_id: Uuid, email: &str) -> CustomerCommand {
    CustomerCommand::RegisterCustomer {
        customer_id,
        email: Email::parse(email).unwrap(),
        display_name: "Ada".into(),
        password_hash: "$argon2id$v=19$first".into(),
        role: Role::Customer,
    }
}

/// An order of `quantities` units of lines priced 1 000, 2 000, … (line numbers from 1).
pub fn place(order_id: Uuid, customer_id: Uuid, quantities: &[u32]) -> OrderCommand {
    let lines: Vec<OrderLine> = quantities
        .iter()
        .enumerate()
        .map(|(i, quantity)| OrderLine {
            line: i as u32 + 1,
            sku: Sku::parse(&format!("SKU-{}", i + 1)).unwrap(),
            product_id: Uuid::from_u128(i as u128 + 1),
            quantity: *quantity,
            unit_price: eur(1_000 * (i as i64 + 1)),
        })
        .collect();
    let subtotal = eur(lines
        .iter()
        .map(|l| l.unit_price.amount_minor * i64::from(l.quantity))
        .sum());
    OrderCommand::PlaceOrder {
        order_id,
        customer_id,
        lines,
        subtotal,
        discount: eur(0),
        total: subtotal,
        coupon_code: None,
        shipping_address: address("Berlin"),
    }
}

pub fn initiate(payment_id: Uuid, order_id: Uuid, amount_minor: i64) -> PaymentCommand {
    PaymentCommand::InitiatePayment {
        payment_id,
        order_id,
        amount: eur(amount_minor),
        method: PaymentMethod::Card,
        instrument_token: "tok_4242".into(),
        idempotency_key: payment_id.to_string(),
    }
}

/// The version of the last event written to `stream`.
pub fn version(log: &Log, stream: &str) -> i64 {
    log.next_version(stream) as i64 - 1
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct CustomerRow {
    email: String,
    display_name: String,
    password_hash: String,
    role: String,
    active: bool,
    addresses: serde_json::Value,
    default_address_id: Option<Uuid>,
    order_count: i32,
    lifetime_value_minor: i64,
    stream_version: i64,
}

#[tokio::test]
async fn customers_carts_and_coupon_redemptions_become_rows() {
    let ns = TestNamespace::create("projector-customers").await.unwrap();
    let mut log = Log::open(&ns).await;
    let mut customers = Model::<Customer>::default();
    let mut carts = Model::<Cart>::default();
    let mut coupons = Model::<Coupon>::default();
    let mut records = Vec::new();

    // A customer registers, keeps two addresses, and is made staff.
    let ada = Uuid::now_v7();
    let ada_stream = customer::stream_id(ada);
    let (home, work) = (Uuid::now_v7(), Uuid::now_v7());
    for command in [
        register(ada, "  Ada.Lovelace@Example.COM "),
        CustomerCommand::AddAddress {
            address_id: home,
            address: address("Berlin"),
        },
        CustomerCommand::AddAddress {
            address_id: work,
            address: address("Hamburg"),
        },
        CustomerCommand::SetDefaultAddress { address_id: work },
        CustomerCommand::UpdateAddress {
            address_id: home,
            address: address("Potsdam"),
        },
        CustomerCommand::UpdateProfile {
            display_name: "Countess Ada".into(),
        },
        CustomerCommand::ChangePassword {
            password_hash: "$argon2id$v=19$second".into(),
        },
        CustomerCommand::ChangeRole {
            role: Role::Staff,
            actor_role: Role::Admin,
        },
    ] {
        records.push(commit(&mut log, &mut customers, &ada_stream, command));
    }
    // Another one registers and is deactivated.
    let bob = Uuid::now_v7();
    let bob_stream = customer::stream_id(bob);
    records.push(commit(
        &mut log,
        &mut customers,
        &bob_stream,
        register(bob, "bob@example.com"),
    ));
    records.push(commit(
        &mut log,
        &mut customers,
        &bob_stream,
        CustomerCommand::DeactivateCustomer {},
    ));

    // Ada's cart gets lines and a coupon; a guest cart is filled and cleared.
    let cart_id = Uuid::now_v7();
    let cart_stream = cart::stream_id(cart_id);
    let tee = Sku::parse("TEE-M").unwrap();
    let cap = Sku::parse("CAP-1").unwrap();
    let mug = Sku::parse("MUG-2").unwrap();
    let add = |sku: &Sku, quantity, price| CartCommand::AddCartLine {
        sku: sku.clone(),
        product_id: Uuid::from_u128(7),
        quantity,
        unit_price: eur(price),
    };
    for command in [
        CartCommand::CreateCart {
            cart_id,
            customer_id: Some(ada),
        },
        add(&tee, 1, 1_500),
        add(&tee, 2, 1_500),
        add(&cap, 1, 900),
        add(&mug, 1, 700),
        CartCommand::ChangeCartLineQuantity {
            sku: cap.clone(),
            quantity: 4,
        },
        CartCommand::RemoveCartLine { sku: mug.clone() },
        CartCommand::ApplyCoupon {
            code: CouponCode::parse("save10").unwrap(),
        },
    ] {
        records.push(commit(&mut log, &mut carts, &cart_stream, command));
    }
    let guest = Uuid::now_v7();
    let guest_stream = cart::stream_id(guest);
    for command in [
        CartCommand::CreateCart {
            cart_id: guest,
            customer_id: None,
        },
        add(&mug, 2, 700),
        CartCommand::ClearCart {},
    ] {
        records.push(commit(&mut log, &mut carts, &guest_stream, command));
    }

    // A coupon is redeemed by three orders, refused for a fourth, and one redemption is given
    // back; another coupon is disabled.
    let now: DateTime<Utc> = Utc::now();
    let code = CouponCode::parse("SAVE10").unwrap();
    let coupon_stream = coupon::stream_id(&code);
    records.push(commit(
        &mut log,
        &mut coupons,
        &coupon_stream,
        CouponCommand::CreateCoupon {
            code: code.clone(),
            discount: Discount::Percentage {
                basis_points: 1_000,
            },
            min_order_value: Some(eur(2_000)),
            valid_from: now - chrono::Duration::days(1),
            valid_until: now + chrono::Duration::days(30),
            global_limit: Some(10),
            per_customer_limit: Some(2),
        },
    ));
    let orders: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    for (i, order_id) in orders.iter().enumerate() {
        records.push(commit(
            &mut log,
            &mut coupons,
            &coupon_stream,
            CouponCommand::RedeemCoupon {
                order_id: *order_id,
                customer_id: Uuid::from_u128(100 + i as u128),
                // The last one is below the minimum order value.
                subtotal: eur(if i == 3 { 1_000 } else { 5_000 }),
                now,
            },
        ));
    }
    records.push(commit(
        &mut log,
        &mut coupons,
        &coupon_stream,
        CouponCommand::ReleaseRedemption {
            order_id: orders[1],
        },
    ));
    let fixed = CouponCode::parse("FIVE-OFF").unwrap();
    let fixed_stream = coupon::stream_id(&fixed);
    records.push(commit(
        &mut log,
        &mut coupons,
        &fixed_stream,
        CouponCommand::CreateCoupon {
            code: fixed.clone(),
            discount: Discount::FixedAmount { amount: eur(500) },
            min_order_value: None,
            valid_from: now,
            valid_until: now + chrono::Duration::days(1),
            global_limit: None,
            per_customer_limit: None,
        },
    ));
    records.push(commit(
        &mut log,
        &mut coupons,
        &fixed_stream,
        CouponCommand::DisableCoupon {},
    ));
    log.send(records).await;

    let _projector = spawn_projector(&ns);
    let pool = pg(&ns).await;
    wait_caught_up(&ns, &log, &pool, Duration::from_secs(90)).await;

    // Customers.
    let row: CustomerRow = sqlx::query_as(
        "SELECT email, display_name, password_hash, role, active, addresses, default_address_id,
                order_count, lifetime_value_minor, stream_version
         FROM customers WHERE customer_id = $1",
    )
    .bind(ada)
    .fetch_one(&pool)
    .await
    .unwrap();
    let state = customers.state(&ada_stream);
    let profile = state.profile().unwrap();
    let addresses: Vec<serde_json::Value> = state
        .addresses()
        .iter()
        .map(|(address_id, address)| {
            let mut entry = serde_json::to_value(address).unwrap();
            entry["address_id"] = serde_json::json!(address_id);
            entry
        })
        .collect();
    assert_eq!(
        row,
        CustomerRow {
            email: "ada.lovelace@example.com".into(),
            display_name: profile.display_name.clone(),
            password_hash: profile.password_hash.clone(),
            role: "staff".into(),
            active: true,
            addresses: serde_json::Value::Array(addresses),
            default_address_id: state.default_address(),
            order_count: 0,
            lifetime_value_minor: 0,
            stream_version: version(&log, &ada_stream),
        }
    );
    assert_eq!(row.default_address_id, Some(work));
    let bob_active: bool =
        sqlx::query_scalar("SELECT active FROM customers WHERE customer_id = $1")
            .bind(bob)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!bob_active);

    // Carts.
    let (owner, coupon_code, cart_version): (Option<Uuid>, Option<String>, i64) = sqlx::query_as(
        "SELECT customer_id, coupon_code, stream_version FROM carts WHERE cart_id = $1",
    )
    .bind(cart_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let cart_state = carts.state(&cart_stream);
    assert_eq!(owner, Some(ada));
    assert_eq!(
        coupon_code.as_deref(),
        cart_state.coupon().map(|c| c.as_str())
    );
    assert_eq!(cart_version, version(&log, &cart_stream));
    let lines: Vec<(String, i32, i64, String)> = sqlx::query_as(
        "SELECT sku, quantity, unit_price_minor, currency FROM cart_lines
         WHERE cart_id = $1 ORDER BY sku",
    )
    .bind(cart_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<(String, i32, i64, String)> = cart_state
        .lines()
        .values()
        .map(|l| {
            (
                l.sku.to_string(),
                l.quantity as i32,
                l.unit_price.amount_minor,
                l.unit_price.currency.to_string(),
            )
        })
        .collect();
    assert_eq!(lines, expected);
    assert_eq!(lines.len(), 2);
    let guest_lines: i64 = sqlx::query_scalar("SELECT count(*) FROM cart_lines WHERE cart_id = $1")
        .bind(guest)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(guest_lines, 0);

    // Coupons.
    let coupon_rows: Vec<(String, String, i64, i32, bool)> =
        sqlx::query_as("SELECT code, kind, value, redemptions, active FROM coupons ORDER BY code")
            .fetch_all(&pool)
            .await
            .unwrap();
    let active = coupons.state(&coupon_stream).active_redemptions() as i32;
    assert_eq!(active, 2, "three redeemed, one released, one refused");
    assert_eq!(
        coupon_rows,
        vec![
            ("FIVE-OFF".into(), "fixed_amount".into(), 500, 0, false),
            ("SAVE10".into(), "percentage".into(), 1_000, active, true),
        ]
    );
    let statuses: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT order_id, status FROM coupon_redemptions WHERE code = 'SAVE10' ORDER BY order_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        vec![
            (orders[0], "active".into()),
            (orders[1], "released".into()),
            (orders[2], "active".into()),
            (orders[3], "refused".into()),
        ]
    );
}
