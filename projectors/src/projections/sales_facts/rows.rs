//! The fact rows of order, payment and cart events: pure functions of the log plus what
//! earlier events of the same stream said (an order's placement, a payment's initiation, a
//! cart's owner), so replaying a batch yields the very same rows.

use std::collections::HashMap;

use clickhouse::Row;
use domain::{cart::CartEvent, order::OrderEvent, payment::PaymentEvent, values::Money};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::decode::Decoded;

/// One row of `order_facts` (see `clickhouse/0004_order_facts.sql`).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct OrderFact {
    /// The event's id: the fact's key.
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    /// When it happened (seconds).
    pub occurred_at: u32,
    /// The order.
    #[serde(with = "clickhouse::serde::uuid")]
    pub order_id: Uuid,
    /// Who placed it (nil when the placement was not seen).
    #[serde(with = "clickhouse::serde::uuid")]
    pub customer_id: Uuid,
    /// The status the event sets.
    pub status: String,
    /// Subtotal at placement.
    pub subtotal_minor: i64,
    /// Discount at placement.
    pub discount_minor: i64,
    /// Total at placement.
    pub total_minor: i64,
    /// What this event moved (total, paid, refund due, refund), else 0.
    pub amount_minor: i64,
    /// Currency of the order.
    pub currency: String,
    /// Version of the event in its stream.
    pub stream_version: u64,
    /// Events partition of its commit.
    pub partition: i32,
    /// Offset of its commit.
    pub offset: i64,
}

/// One row of `order_line_facts` (see `clickhouse/0005_order_line_facts.sql`).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct OrderLineFact {
    /// The OrderPlaced event's id.
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    /// When the order was placed (seconds).
    pub occurred_at: u32,
    /// The order.
    #[serde(with = "clickhouse::serde::uuid")]
    pub order_id: Uuid,
    /// Who placed it.
    #[serde(with = "clickhouse::serde::uuid")]
    pub customer_id: Uuid,
    /// Line number within the order.
    pub line: u32,
    /// SKU.
    pub sku: String,
    /// Its product.
    #[serde(with = "clickhouse::serde::uuid")]
    pub product_id: Uuid,
    /// Units.
    pub quantity: u32,
    /// Price per unit.
    pub unit_price_minor: i64,
    /// Units × price, before order discounts.
    pub line_total_minor: i64,
    /// Currency.
    pub currency: String,
}

/// One row of `payment_facts` (see `clickhouse/0006_payment_facts.sql`).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct PaymentFact {
    /// The event's id: the fact's key.
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    /// When it happened (seconds).
    pub occurred_at: u32,
    /// The payment.
    #[serde(with = "clickhouse::serde::uuid")]
    pub payment_id: Uuid,
    /// The order it pays (nil when the initiation was not seen).
    #[serde(with = "clickhouse::serde::uuid")]
    pub order_id: Uuid,
    /// initiated, authorized, captured, declined, failed or refunded.
    pub kind: String,
    /// The event's amount (attempted amount for declined and failed).
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// card or wallet.
    pub method: String,
    /// Why it was declined or failed, else empty.
    pub reason: String,
}

/// One row of `cart_facts` (see `clickhouse/0007_cart_facts.sql`).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct CartFact {
    /// The event's id (with `sku`, the fact's key).
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    /// When it happened (seconds).
    pub occurred_at: u32,
    /// The cart.
    #[serde(with = "clickhouse::serde::uuid")]
    pub cart_id: Uuid,
    /// Its owner, nil when anonymous or unseen.
    #[serde(with = "clickhouse::serde::uuid")]
    pub customer_id: Uuid,
    /// created, line_added, line_quantity_changed, line_removed, merged or cleared.
    pub action: String,
    /// SKU of the line, empty for cart-level actions.
    pub sku: String,
    /// Product of the line when the event names it, else nil.
    #[serde(with = "clickhouse::serde::uuid")]
    pub product_id: Uuid,
    /// Quantity of the line after the event.
    pub quantity: u32,
    /// Units the event added.
    pub added: u32,
    /// Price per unit when the event names it, else 0.
    pub unit_price_minor: i64,
    /// Currency of that price, else empty.
    pub currency: String,
}

/// What the placement of an order said, repeated on its later facts.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct OrderHeader {
    /// The order.
    #[serde(with = "clickhouse::serde::uuid")]
    pub order_id: Uuid,
    /// Who placed it.
    #[serde(with = "clickhouse::serde::uuid")]
    pub customer_id: Uuid,
    /// Subtotal.
    pub subtotal_minor: i64,
    /// Discount.
    pub discount_minor: i64,
    /// Total.
    pub total_minor: i64,
    /// Currency.
    pub currency: String,
}

/// What the initiation of a payment said, repeated on its later facts.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct PaymentHeader {
    /// The payment.
    #[serde(with = "clickhouse::serde::uuid")]
    pub payment_id: Uuid,
    /// The order it pays.
    #[serde(with = "clickhouse::serde::uuid")]
    pub order_id: Uuid,
    /// Amount attempted.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// card or wallet.
    pub method: String,
}

/// A cart's owner, from its creation.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct CartHeader {
    /// The cart.
    #[serde(with = "clickhouse::serde::uuid")]
    pub cart_id: Uuid,
    /// Its owner (nil when anonymous).
    #[serde(with = "clickhouse::serde::uuid")]
    pub customer_id: Uuid,
}

/// What earlier events said, by order, payment and cart.
#[derive(Debug, Default)]
pub struct Known {
    /// Placements by order id.
    pub orders: HashMap<Uuid, OrderHeader>,
    /// Initiations by payment id.
    pub payments: HashMap<Uuid, PaymentHeader>,
    /// Owners by cart id.
    pub carts: HashMap<Uuid, Uuid>,
}

/// The facts of one batch.
#[derive(Debug, Default)]
pub struct Facts {
    /// `order_facts` rows.
    pub orders: Vec<OrderFact>,
    /// `order_line_facts` rows.
    pub lines: Vec<OrderLineFact>,
    /// `payment_facts` rows.
    pub payments: Vec<PaymentFact>,
    /// `cart_facts` rows.
    pub carts: Vec<CartFact>,
}

fn seconds<E>(event: &Decoded<E>) -> u32 {
    u32::try_from(event.occurred_at.timestamp()).unwrap_or(0)
}

fn stream_uuid<E>(event: &Decoded<E>) -> Uuid {
    Uuid::parse_str(event.stream_id()).unwrap_or_default()
}

/// The status an order event sets and the amount it moved, if it sets one.
fn status(event: &OrderEvent) -> Option<(&'static str, Option<&Money>)> {
    use OrderEvent as E;
    Some(match event {
        E::OrderPlaced { total, .. } => ("placed", Some(total)),
        E::OrderConfirmed {} => ("confirmed", None),
        E::OrderRejected { .. } => ("rejected", None),
        E::OrderPaid { amount, .. } => ("paid", Some(amount)),
        E::OrderCancelled { refund_due, .. } => ("cancelled", Some(refund_due)),
        E::OrderShipped { .. } => ("shipped", None),
        E::OrderDelivered {} => ("delivered", None),
        E::OrderRefunded { amount, .. } => ("refunded", Some(amount)),
        _ => return None,
    })
}

impl Facts {
    /// Adds the facts of order events, learning placements on the way.
    pub fn add_orders(&mut self, events: &[Decoded<OrderEvent>], known: &mut Known) {
        for event in events {
            let order_id = stream_uuid(event);
            if let OrderEvent::OrderPlaced {
                customer_id,
                lines,
                subtotal,
                discount,
                total,
                ..
            } = &event.event
            {
                let currency = total.currency.as_str().to_string();
                known.orders.insert(
                    order_id,
                    OrderHeader {
                        order_id,
                        customer_id: *customer_id,
                        subtotal_minor: subtotal.amount_minor,
                        discount_minor: discount.amount_minor,
                        total_minor: total.amount_minor,
                        currency: currency.clone(),
                    },
                );
                self.lines.extend(lines.iter().map(|line| {
                    OrderLineFact {
                        event_id: event.event_id,
                        occurred_at: seconds(event),
                        order_id,
                        customer_id: *customer_id,
                        line: line.line,
                        sku: line.sku.as_str().to_string(),
                        product_id: line.product_id,
                        quantity: line.quantity,
                        unit_price_minor: line.unit_price.amount_minor,
                        line_total_minor: line
                            .unit_price
                            .amount_minor
                            .saturating_mul(i64::from(line.quantity)),
                        currency: currency.clone(),
                    }
                }));
            }
            let Some((status, amount)) = status(&event.event) else {
                continue;
            };
            let header = known.orders.get(&order_id);
            self.orders.push(OrderFact {
                event_id: event.event_id,
                occurred_at: seconds(event),
                order_id,
                customer_id: header.map(|h| h.customer_id).unwrap_or_default(),
                status: status.to_string(),
                subtotal_minor: header.map_or(0, |h| h.subtotal_minor),
                discount_minor: header.map_or(0, |h| h.discount_minor),
                total_minor: header.map_or(0, |h| h.total_minor),
                amount_minor: amount.map_or(0, |m| m.amount_minor),
                currency: header.map(|h| h.currency.clone()).unwrap_or_default(),
                stream_version: u64::try_from(event.version).unwrap_or(0),
                partition: event.partition,
                offset: event.offset,
            });
        }
    }

    /// Adds the facts of payment events, learning initiations on the way.
    pub fn add_payments(&mut self, events: &[Decoded<PaymentEvent>], known: &mut Known) {
        use PaymentEvent as E;
        for event in events {
            let payment_id = stream_uuid(event);
            if let E::PaymentInitiated {
                order_id,
                amount,
                method,
                ..
            } = &event.event
            {
                known.payments.insert(
                    payment_id,
                    PaymentHeader {
                        payment_id,
                        order_id: *order_id,
                        amount_minor: amount.amount_minor,
                        currency: amount.currency.as_str().to_string(),
                        method: serde_json::to_value(method)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                    },
                );
            }
            let header = known.payments.get(&payment_id);
            let attempted = header.map_or(0, |h| h.amount_minor);
            let (kind, amount_minor, reason) = match &event.event {
                E::PaymentInitiated { amount, .. } => ("initiated", amount.amount_minor, ""),
                E::PaymentAuthorized { amount, .. } => ("authorized", amount.amount_minor, ""),
                E::PaymentCaptured { amount, .. } => ("captured", amount.amount_minor, ""),
                E::PaymentDeclined { reason } => ("declined", attempted, reason.as_str()),
                E::PaymentFailed { reason } => ("failed", attempted, reason.as_str()),
                E::PaymentRefunded { amount, .. } => ("refunded", amount.amount_minor, ""),
            };
            self.payments.push(PaymentFact {
                event_id: event.event_id,
                occurred_at: seconds(event),
                payment_id,
                order_id: header.map(|h| h.order_id).unwrap_or_default(),
                kind: kind.to_string(),
                amount_minor,
                currency: header.map(|h| h.currency.clone()).unwrap_or_default(),
                method: header.map(|h| h.method.clone()).unwrap_or_default(),
                reason: reason.to_string(),
            });
        }
    }

    /// Adds the facts of cart events, learning owners on the way.
    pub fn add_carts(&mut self, events: &[Decoded<CartEvent>], known: &mut Known) {
        use CartEvent as E;
        for event in events {
            let cart_id = stream_uuid(event);
            if let E::CartCreated { customer_id, .. } = &event.event {
                known.carts.insert(cart_id, customer_id.unwrap_or_default());
            }
            let fact = |action: &str, sku: &str| CartFact {
                event_id: event.event_id,
                occurred_at: seconds(event),
                cart_id,
                customer_id: known.carts.get(&cart_id).copied().unwrap_or_default(),
                action: action.to_string(),
                sku: sku.to_string(),
                product_id: Uuid::nil(),
                quantity: 0,
                added: 0,
                unit_price_minor: 0,
                currency: String::new(),
            };
            match &event.event {
                E::CartCreated { .. } => self.carts.push(fact("created", "")),
                E::CartCleared {} => self.carts.push(fact("cleared", "")),
                E::CartLineAdded {
                    sku,
                    product_id,
                    added,
                    quantity,
                    unit_price,
                } => self.carts.push(CartFact {
                    product_id: *product_id,
                    quantity: *quantity,
                    added: *added,
                    unit_price_minor: unit_price.amount_minor,
                    currency: unit_price.currency.as_str().to_string(),
                    ..fact("line_added", sku.as_str())
                }),
                E::CartLineQuantityChanged { sku, quantity } => self.carts.push(CartFact {
                    quantity: *quantity,
                    ..fact("line_quantity_changed", sku.as_str())
                }),
                E::CartLineRemoved { sku } => self.carts.push(fact("line_removed", sku.as_str())),
                E::CartMerged { lines, .. } => {
                    self.carts.extend(lines.iter().map(|line| CartFact {
                        product_id: line.product_id,
                        quantity: line.quantity,
                        added: line.quantity,
                        unit_price_minor: line.unit_price.amount_minor,
                        currency: line.unit_price.currency.as_str().to_string(),
                        ..fact("merged", line.sku.as_str())
                    }));
                }
                E::CouponApplied { .. } | E::CouponRemoved {} => {}
            }
        }
    }
}
