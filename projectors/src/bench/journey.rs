//! One shopper's visit, written as the API, the command processors and the checkout saga
//! would write it: a cart, maybe an order, and the saga's steps after it.
//!
//! Most orders are confirmed, paid, shipped and delivered; some carts are abandoned, some
//! orders are rejected for lack of stock, cancelled by the customer or by a reservation
//! timeout, paid after a declined first attempt, or refunded after delivery. Staff reprices
//! variants, restocks low SKUs and corrects stock now and then. The shares are fixed, the
//! choices seeded, so a run repeats exactly.

use chrono::Duration;
use domain::{
    cart::{self, CartCommand},
    coupon::{self, CouponCommand, RedemptionStatus},
    customer::{self, CustomerCommand},
    inventory::{InventoryCommand, ReservationStatus},
    order::{self, CancelReason, OrderCommand, OrderLine, OrderStatus, RejectReason},
    payment::{self, PaymentCommand, PaymentMethod},
    product::ProductCommand,
    values::{CouponCode, Money},
};
use uuid::Uuid;

use super::{
    record::{Cause, GenerateError, Recorder},
    shop::{Item, SAGA, Shop, Shopper, USER},
};

/// Percent of carts left without an order.
const ABANDON: u64 = 8;
/// Percent of carts with a coupon applied.
const WITH_COUPON: u64 = 20;

/// What became of a journey (for the tests and the report's mix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Cart left behind.
    Abandoned,
    /// Stock ran short.
    Rejected,
    /// Cancelled before payment.
    Cancelled,
    /// Paid, shipped, delivered (maybe refunded).
    Delivered,
}

/// Runs one visit.
pub fn visit(shop: &mut Shop, rec: &mut Recorder) -> Result<Outcome, GenerateError> {
    staff_chores(shop, rec)?;
    let shopper = shop.shoppers[rec.rng.index(shop.shoppers.len())].clone();
    let start = rec.id();
    let user = Cause {
        correlation_id: start,
        causation_id: start,
        actor: USER,
        user: Some(shopper.id),
    };
    if rec.rng.chance(1) {
        let name = format!("Shopper {}", rec.rng.below(1_000_000));
        shop.customers.execute(
            rec,
            &customer::stream_id(shopper.id),
            CustomerCommand::UpdateProfile { display_name: name },
            user,
        )?;
    }
    let Some((lines, coupon)) = fill_cart(shop, rec, &shopper, user)? else {
        return Ok(Outcome::Abandoned);
    };
    rec.pause(10, 120);
    checkout(shop, rec, &shopper, user, lines, coupon)
}

/// The lines of a filled cart and the coupon applied to it.
type FilledCart = (Vec<OrderLine>, Option<CouponCode>);

/// Creates a cart and fills it; `None` when the shopper walks away.
fn fill_cart(
    shop: &mut Shop,
    rec: &mut Recorder,
    shopper: &Shopper,
    user: Cause,
) -> Result<Option<FilledCart>, GenerateError> {
    let cart_id = rec.id();
    let stream = cart::stream_id(cart_id);
    shop.carts.execute(
        rec,
        &stream,
        CartCommand::CreateCart {
            cart_id,
            customer_id: Some(shopper.id),
        },
        user,
    )?;
    for _ in 0..rec.rng.between(1, 4) {
        let item = shop.items[rec.rng.index(shop.items.len())].clone();
        let unit_price = price_of(shop, &item)?;
        let quantity = rec.rng.between(1, 3);
        shop.carts.execute(
            rec,
            &stream,
            CartCommand::AddCartLine {
                sku: item.sku,
                product_id: item.product_id,
                quantity,
                unit_price,
            },
            user,
        )?;
        rec.pause(5, 60);
    }
    let skus: Vec<_> = cart_lines(shop, &stream)
        .iter()
        .map(|l| (l.sku.clone(), l.quantity))
        .collect();
    if rec.rng.chance(10) {
        let (sku, quantity) = skus[0].clone();
        shop.carts.execute(
            rec,
            &stream,
            CartCommand::ChangeCartLineQuantity {
                sku,
                quantity: quantity + 1,
            },
            user,
        )?;
    }
    if skus.len() > 1 && rec.rng.chance(5) {
        let sku = skus[skus.len() - 1].0.clone();
        shop.carts
            .execute(rec, &stream, CartCommand::RemoveCartLine { sku }, user)?;
    }
    let mut coupon = None;
    if !shop.codes.is_empty() && rec.rng.chance(WITH_COUPON) {
        let code = shop.codes[rec.rng.index(shop.codes.len())].clone();
        shop.carts.execute(
            rec,
            &stream,
            CartCommand::ApplyCoupon { code: code.clone() },
            user,
        )?;
        coupon = Some(code);
    }
    if rec.rng.chance(ABANDON) {
        return Ok(None);
    }
    let lines: Vec<OrderLine> = cart_lines(shop, &stream)
        .into_iter()
        .zip(1u32..)
        .map(|(l, line)| OrderLine {
            line,
            sku: l.sku,
            product_id: l.product_id,
            quantity: l.quantity,
            unit_price: l.unit_price,
        })
        .collect();
    // The API clears the cart once the order is placed; the clear lands right after it.
    shop.carts
        .execute(rec, &stream, CartCommand::ClearCart {}, user)?;
    Ok(Some((lines, coupon)))
}

fn cart_lines(shop: &Shop, stream: &str) -> Vec<domain::cart::CartLine> {
    shop.carts
        .get(stream)
        .map(|c| c.lines().values().cloned().collect())
        .unwrap_or_default()
}

fn price_of(shop: &Shop, item: &Item) -> Result<Money, GenerateError> {
    shop.products
        .get(&item.product_stream)
        .and_then(|p| p.variant(&item.sku))
        .map(|v| v.price)
        .ok_or_else(|| GenerateError::Value(format!("no variant {}", item.sku)))
}

/// Places the order and runs the saga's steps for it.
fn checkout(
    shop: &mut Shop,
    rec: &mut Recorder,
    shopper: &Shopper,
    user: Cause,
    lines: Vec<OrderLine>,
    coupon: Option<CouponCode>,
) -> Result<Outcome, GenerateError> {
    let currency = shop.currency()?;
    let subtotal = Money::new(
        lines
            .iter()
            .map(|l| l.unit_price.amount_minor * i64::from(l.quantity))
            .sum(),
        currency,
    );
    // Priced as the API prices it: with the coupon's own rule, or without the coupon when it
    // would not apply.
    let quoted = coupon.and_then(|code| {
        let quote =
            shop.coupons
                .get(&coupon::stream_id(&code))?
                .quote(shopper.id, subtotal, rec.now())?;
        quote.ok().map(|discount| (code, discount))
    });
    let discount = quoted.as_ref().map_or(Money::zero(currency), |q| q.1);
    let total = Money::new(subtotal.amount_minor - discount.amount_minor, currency);
    let order_id = rec.id();
    let stream = order::stream_id(order_id);
    let placed = shop.orders.execute(
        rec,
        &stream,
        OrderCommand::PlaceOrder {
            order_id,
            customer_id: shopper.id,
            lines: lines.clone(),
            subtotal,
            discount,
            total,
            coupon_code: quoted.as_ref().map(|q| q.0.clone()),
            shipping_address: shopper.address.clone(),
        },
        user,
    )?;
    let saga = Cause {
        causation_id: placed.first().copied().unwrap_or(user.causation_id),
        actor: SAGA,
        user: None,
        ..user
    };
    let code = quoted.map(|q| q.0);
    if let Some(code) = &code {
        redeem(shop, rec, saga, code, order_id, shopper.id, subtotal)?;
    }
    let expires_at = rec.now() + Duration::minutes(15);
    for line in &lines {
        let item = item_stream(&line.sku);
        shop.inventory.execute(
            rec,
            &item,
            InventoryCommand::ReserveStock {
                order_id,
                line: line.line,
                quantity: line.quantity,
                expires_at,
            },
            saga,
        )?;
    }
    for line in &lines {
        let held = shop
            .inventory
            .get(&item_stream(&line.sku))
            .and_then(|i| i.reservation(order_id, line.line))
            .is_some_and(|r| r.status == ReservationStatus::Held);
        let command = if held {
            OrderCommand::RecordLineReserved { line: line.line }
        } else {
            OrderCommand::RecordLineRefused { line: line.line }
        };
        shop.orders.execute(rec, &stream, command, saga)?;
    }
    restock(shop, rec, &lines)?;
    let status = shop.orders.get(&stream).map(|o| o.status());
    if status != Some(OrderStatus::Confirmed) {
        release(shop, rec, saga, order_id, &lines, code.as_ref())?;
        return Ok(Outcome::Rejected);
    }
    rec.pause(30, 300);
    let roll = rec.rng.below(100);
    if roll < 4 {
        shop.orders.execute(
            rec,
            &stream,
            OrderCommand::CancelOrder {
                reason: CancelReason::Customer,
            },
            user,
        )?;
        release(shop, rec, saga, order_id, &lines, code.as_ref())?;
        return Ok(Outcome::Cancelled);
    }
    if roll < 7 {
        rec.advance(20 * 60);
        let now = rec.now();
        for line in &lines {
            shop.inventory.execute(
                rec,
                &item_stream(&line.sku),
                InventoryCommand::ExpireReservations { now },
                saga,
            )?;
        }
        shop.orders.execute(
            rec,
            &stream,
            OrderCommand::CancelOrder {
                reason: CancelReason::PaymentTimeout,
            },
            saga,
        )?;
        release(shop, rec, saga, order_id, &lines, code.as_ref())?;
        return Ok(Outcome::Cancelled);
    }
    let payment_id = pay(shop, rec, saga, order_id, total)?;
    shop.orders.execute(
        rec,
        &stream,
        OrderCommand::MarkOrderPaid {
            payment_id,
            amount: total,
        },
        saga,
    )?;
    for line in &lines {
        shop.inventory.execute(
            rec,
            &item_stream(&line.sku),
            InventoryCommand::CommitStock {
                order_id,
                line: line.line,
            },
            saga,
        )?;
    }
    let staff = shop.staff_cause(rec);
    rec.pause(600, 3_600);
    let tracking_number = format!("TRK{:012}", rec.rng.below(1_000_000_000_000));
    shop.orders.execute(
        rec,
        &stream,
        OrderCommand::ShipOrder {
            carrier: "DHL".to_string(),
            tracking_number,
        },
        staff,
    )?;
    shop.orders
        .execute(rec, &stream, OrderCommand::DeliverOrder {}, staff)?;
    if rec.rng.chance(3) {
        refund(shop, rec, staff, order_id, payment_id, &lines, total)?;
    }
    Ok(Outcome::Delivered)
}

fn item_stream(sku: &domain::values::Sku) -> String {
    domain::inventory::stream_id(sku)
}

/// The saga redeems the coupon and records the outcome on the order.
fn redeem(
    shop: &mut Shop,
    rec: &mut Recorder,
    saga: Cause,
    code: &CouponCode,
    order_id: Uuid,
    customer_id: Uuid,
    subtotal: Money,
) -> Result<(), GenerateError> {
    let coupon_stream = coupon::stream_id(code);
    let now = rec.now();
    shop.coupons.execute(
        rec,
        &coupon_stream,
        CouponCommand::RedeemCoupon {
            order_id,
            customer_id,
            subtotal,
            now,
        },
        saga,
    )?;
    let stream = order::stream_id(order_id);
    let granted = shop
        .coupons
        .get(&coupon_stream)
        .and_then(|c| c.redemption(order_id).map(|r| r.status))
        == Some(RedemptionStatus::Active);
    let discount = shop
        .orders
        .get(&stream)
        .and_then(|o| o.placed().map(|p| p.discount));
    let command = match (granted, discount) {
        (true, Some(discount)) => OrderCommand::RecordCouponRedeemed { discount },
        _ => OrderCommand::RejectOrder {
            reason: RejectReason::CouponRefused,
        },
    };
    shop.orders.execute(rec, &stream, command, saga)?;
    Ok(())
}

/// Gives back every line's stock and the coupon of a closed order.
fn release(
    shop: &mut Shop,
    rec: &mut Recorder,
    saga: Cause,
    order_id: Uuid,
    lines: &[OrderLine],
    code: Option<&CouponCode>,
) -> Result<(), GenerateError> {
    for line in lines {
        shop.inventory.execute(
            rec,
            &item_stream(&line.sku),
            InventoryCommand::ReleaseStock {
                order_id,
                line: line.line,
            },
            saga,
        )?;
    }
    if let Some(code) = code {
        shop.coupons.execute(
            rec,
            &coupon::stream_id(code),
            CouponCommand::ReleaseRedemption { order_id },
            saga,
        )?;
    }
    Ok(())
}

/// Collects the total through the provider: sometimes a first card is declined.
fn pay(
    shop: &mut Shop,
    rec: &mut Recorder,
    saga: Cause,
    order_id: Uuid,
    total: Money,
) -> Result<Uuid, GenerateError> {
    if rec.rng.chance(4) {
        let declined = rec.id();
        let stream = payment::stream_id(declined);
        initiate(shop, rec, saga, declined, order_id, total, "tok_decline")?;
        shop.payments.execute(
            rec,
            &stream,
            PaymentCommand::DeclinePayment {
                reason: "card_declined".to_string(),
            },
            saga,
        )?;
    }
    let payment_id = rec.id();
    let stream = payment::stream_id(payment_id);
    initiate(shop, rec, saga, payment_id, order_id, total, "tok_approve")?;
    let provider_reference = format!("psp_{}", rec.rng.below(u64::MAX / 2));
    shop.payments.execute(
        rec,
        &stream,
        PaymentCommand::AuthorizePayment {
            amount: total,
            provider_reference,
        },
        saga,
    )?;
    shop.payments.execute(
        rec,
        &stream,
        PaymentCommand::CapturePayment { amount: total },
        saga,
    )?;
    Ok(payment_id)
}

fn initiate(
    shop: &mut Shop,
    rec: &mut Recorder,
    saga: Cause,
    payment_id: Uuid,
    order_id: Uuid,
    amount: Money,
    token: &str,
) -> Result<(), GenerateError> {
    let method = if rec.rng.chance(30) {
        PaymentMethod::Wallet
    } else {
        PaymentMethod::Card
    };
    shop.payments.execute(
        rec,
        &payment::stream_id(payment_id),
        PaymentCommand::InitiatePayment {
            payment_id,
            order_id,
            amount,
            method,
            instrument_token: token.to_string(),
            idempotency_key: format!("pay-{payment_id}"),
        },
        saga,
    )?;
    Ok(())
}

/// Refunds a delivered order: the whole total, or the first line returned to stock.
fn refund(
    shop: &mut Shop,
    rec: &mut Recorder,
    staff: Cause,
    order_id: Uuid,
    payment_id: Uuid,
    lines: &[OrderLine],
    total: Money,
) -> Result<(), GenerateError> {
    let first = &lines[0];
    let line_total = first.unit_price.amount_minor * i64::from(first.quantity);
    let partial = lines.len() > 1 && line_total < total.amount_minor;
    let amount = if partial {
        Money::new(line_total, total.currency)
    } else {
        total
    };
    let refund_id = rec.id();
    shop.payments.execute(
        rec,
        &payment::stream_id(payment_id),
        PaymentCommand::RefundPayment { refund_id, amount },
        staff,
    )?;
    shop.orders.execute(
        rec,
        &order::stream_id(order_id),
        OrderCommand::RefundOrder {
            refund_id,
            amount,
            reason: "returned".to_string(),
        },
        staff,
    )?;
    if partial {
        shop.inventory.execute(
            rec,
            &item_stream(&first.sku),
            InventoryCommand::RestockReturn {
                order_id,
                line: first.line,
                quantity: first.quantity,
            },
            staff,
        )?;
    }
    Ok(())
}

/// Receives stock for the order's SKUs that run low (most of the time: some stay short, so
/// later orders are rejected for lack of stock).
fn restock(shop: &mut Shop, rec: &mut Recorder, lines: &[OrderLine]) -> Result<(), GenerateError> {
    for line in lines {
        let stream = item_stream(&line.sku);
        let low = shop
            .inventory
            .get(&stream)
            .is_some_and(|i| i.available() < 6);
        if low && rec.rng.chance(70) {
            let cause = shop.staff_cause(rec);
            let quantity = rec.rng.between(100, 300);
            shop.inventory.execute(
                rec,
                &stream,
                InventoryCommand::ReceiveStock { quantity },
                cause,
            )?;
        }
    }
    Ok(())
}

/// Occasional staff work between visits: repricing, catalog edits, stock corrections.
fn staff_chores(shop: &mut Shop, rec: &mut Recorder) -> Result<(), GenerateError> {
    let roll = rec.rng.below(1_000);
    if roll >= 25 {
        return Ok(());
    }
    let item = shop.items[rec.rng.index(shop.items.len())].clone();
    let cause = shop.staff_cause(rec);
    if roll < 10 {
        let price = price_of(shop, &item)?;
        let change = price.amount_minor / 10 + 1;
        let amount = if rec.rng.chance(50) {
            price.amount_minor + change
        } else {
            (price.amount_minor - change).max(99)
        };
        shop.products.execute(
            rec,
            &item.product_stream,
            ProductCommand::ChangeVariantPrice {
                sku: item.sku,
                price: Money::new(amount, price.currency),
            },
            cause,
        )?;
    } else if roll < 15 {
        // Unique text: an unchanged description would be a refused no-op update.
        let description = format!("Updated description, revision {}", rec.id());
        shop.products.execute(
            rec,
            &item.product_stream,
            ProductCommand::UpdateProductDetails {
                name: None,
                description: Some(description),
                category: None,
                brand: None,
                attributes: None,
            },
            cause,
        )?;
    } else {
        let available = shop
            .inventory
            .get(&item.stream)
            .map_or(0, |i| i.available());
        if available > 0 {
            shop.inventory.execute(
                rec,
                &item.stream,
                InventoryCommand::AdjustStock {
                    delta: -1,
                    reason: "damaged in the warehouse".to_string(),
                },
                cause,
            )?;
        }
    }
    Ok(())
}
