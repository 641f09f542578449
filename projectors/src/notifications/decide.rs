//! Which e-mails a batch of events calls for, and what the reactor must remember to address
//! later ones: pure functions, no IO.
//!
//! | event | notification | to |
//! |---|---|---|
//! | `CustomerRegistered` | welcome | the address registered |
//! | `OrderConfirmed` | order confirmed (with the total) | the buyer |
//! | `OrderShipped` | order shipped (carrier, tracking) | the buyer |
//! | `OrderCancelled` | order cancelled (refund due, if any) | the buyer |
//! | `PaymentRefunded` | refund | the buyer of the paid order |
//! | `LowStockReached` | low stock | staff (`AGORA_STAFF_EMAIL`) |
//!
//! Refunds follow the payment rather than `OrderRefunded`: every refund, whether staff
//! refunded an order or a paid order was cancelled, ends as a `PaymentRefunded` once the money
//! is actually back, and only then is there something to tell.
//!
//! Buyers are found through what the reactor keeps itself: orders (`OrderPlaced`), payments
//! (`PaymentInitiated`) and customers' addresses. Events of one stream arrive in order, so an
//! order's placement is always known when its later events are decided; a customer's
//! registration or a refunded payment's order lives in another partition and may come later,
//! which [`super::store`] resolves when it inserts and again when it sends.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use domain::{
    customer::{Customer, CustomerEvent},
    inventory::{InventoryEvent, InventoryItem},
    order::{Order, OrderEvent},
    payment::{Payment, PaymentEvent},
    values::Money,
};
use uuid::Uuid;

use super::{
    Kind, notification_id,
    templates::{self, Message},
};
use crate::read_model::EventsOf;

/// The events of one batch the reactor looks at, each in log order.
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// Customer events.
    pub customers: Vec<EventsOf<Customer>>,
    /// Order events.
    pub orders: Vec<EventsOf<Order>>,
    /// Payment events.
    pub payments: Vec<EventsOf<Payment>>,
    /// Inventory events.
    pub inventory: Vec<EventsOf<InventoryItem>>,
}

impl Events {
    /// Whether there is nothing to look at.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
            && self.orders.is_empty()
            && self.payments.is_empty()
            && self.inventory.is_empty()
    }
}

/// What the reactor keeps of a placed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFacts {
    /// The buyer.
    pub customer_id: Uuid,
    /// Amount to pay.
    pub total: Money,
}

/// Orders and payments stored by earlier batches that this batch refers to.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Order id → facts.
    pub orders: HashMap<Uuid, OrderFacts>,
    /// Payment id → the order it pays for.
    pub payments: HashMap<Uuid, Uuid>,
}

/// A new customer address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Customer.
    pub customer_id: Uuid,
    /// Normalized address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Stream version of the registration.
    pub version: i64,
}

/// Later changes to a customer, folded over the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientUpdate {
    /// Customer.
    pub customer_id: Uuid,
    /// New display name, if it changed.
    pub display_name: Option<String>,
    /// New active flag, if it changed.
    pub active: Option<bool>,
    /// Stream version of the last event folded in.
    pub version: i64,
}

/// One notification to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// Deterministic id ([`notification_id`]).
    pub notification_id: Uuid,
    /// What it is about.
    pub kind: Kind,
    /// The customer it goes to (none for staff mails; none yet when the refunded order is not
    /// known yet).
    pub customer_id: Option<Uuid>,
    /// The address, when the event itself says it (registration, staff).
    pub recipient: Option<String>,
    /// The order concerned.
    pub order_id: Option<Uuid>,
    /// The SKU concerned (low stock).
    pub sku: Option<String>,
    /// The causing event.
    pub event_id: Uuid,
    /// When the causing event happened.
    pub created_at: DateTime<Utc>,
    /// Subject and body.
    pub message: Message,
}

/// Everything a batch writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Customers registered.
    pub registrations: Vec<Registration>,
    /// Customers changed.
    pub recipient_updates: Vec<RecipientUpdate>,
    /// Orders placed.
    pub orders: Vec<(Uuid, OrderFacts)>,
    /// Payments initiated: payment id, order id.
    pub payments: Vec<(Uuid, Uuid)>,
    /// Notifications.
    pub notifications: Vec<NewNotification>,
}

fn stream_uuid<E>(event: &crate::decode::Decoded<E>) -> Option<Uuid> {
    Uuid::parse_str(event.stream_id()).ok()
}

/// Payments whose order the batch needs: those refunded in it.
pub fn payments_to_load(events: &Events) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = events
        .payments
        .iter()
        .filter(|e| matches!(e.event, PaymentEvent::PaymentRefunded { .. }))
        .filter_map(stream_uuid)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Orders whose facts the batch needs: those with events that notify, and those paid by
/// refunded payments (`payments`: what [`payments_to_load`] found stored).
pub fn orders_to_load(events: &Events, payments: &HashMap<Uuid, Uuid>) -> Vec<Uuid> {
    let initiated = initiated_in(events);
    let from_orders = events
        .orders
        .iter()
        .filter(|e| !matches!(e.event, OrderEvent::OrderPlaced { .. }))
        .filter_map(stream_uuid);
    let from_refunds = payments_to_load(events)
        .into_iter()
        .filter_map(|payment| initiated.get(&payment).or(payments.get(&payment)).copied());
    let mut ids: Vec<Uuid> = from_orders.chain(from_refunds).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn initiated_in(events: &Events) -> HashMap<Uuid, Uuid> {
    events
        .payments
        .iter()
        .filter_map(|e| match e.event {
            PaymentEvent::PaymentInitiated { order_id, .. } => Some((stream_uuid(e)?, order_id)),
            _ => None,
        })
        .collect()
}

/// Decides the batch: what to remember, and which notifications to queue. `staff` receives
/// low-stock mails.
pub fn plan(events: &Events, known: &Known, staff: &str) -> Plan {
    let mut plan = Plan::default();
    customers(&events.customers, &mut plan);
    let mut orders = known.orders.clone();
    for event in &events.orders {
        if let OrderEvent::OrderPlaced {
            order_id,
            customer_id,
            total,
            ..
        } = &event.event
        {
            let facts = OrderFacts {
                customer_id: *customer_id,
                total: *total,
            };
            orders.insert(*order_id, facts);
            plan.orders.push((*order_id, facts));
        }
        if let Some(notification) = order_notification(event, &orders) {
            plan.notifications.push(notification);
        }
    }
    let mut payments = known.payments.clone();
    for (payment, order) in initiated_in(events) {
        payments.insert(payment, order);
        plan.payments.push((payment, order));
    }
    plan.payments.sort_unstable();
    for event in &events.payments {
        let PaymentEvent::PaymentRefunded { amount, .. } = event.event else {
            continue;
        };
        let order_id = stream_uuid(event).and_then(|p| payments.get(&p).copied());
        let customer_id = order_id.and_then(|o| orders.get(&o)).map(|f| f.customer_id);
        plan.notifications.push(NewNotification {
            notification_id: notification_id(event.event_id, Kind::Refund),
            kind: Kind::Refund,
            customer_id,
            recipient: None,
            order_id,
            sku: None,
            event_id: event.event_id,
            created_at: event.occurred_at,
            message: templates::refund(order_id, amount),
        });
    }
    for event in &events.inventory {
        let InventoryEvent::LowStockReached {
            available,
            threshold,
        } = event.event
        else {
            continue;
        };
        let sku = event.stream_id().to_string();
        plan.notifications.push(NewNotification {
            notification_id: notification_id(event.event_id, Kind::LowStock),
            kind: Kind::LowStock,
            customer_id: None,
            recipient: Some(staff.to_string()),
            order_id: None,
            message: templates::low_stock(&sku, available, threshold),
            sku: Some(sku),
            event_id: event.event_id,
            created_at: event.occurred_at,
        });
    }
    plan
}

/// Registrations (with their welcome mail) and folded later changes.
fn customers(events: &[EventsOf<Customer>], plan: &mut Plan) {
    let mut updates: BTreeMap<Uuid, RecipientUpdate> = BTreeMap::new();
    for event in events {
        let Some(customer_id) = stream_uuid(event) else {
            continue;
        };
        let change = match &event.event {
            CustomerEvent::CustomerRegistered {
                email,
                display_name,
                ..
            } => {
                plan.registrations.push(Registration {
                    customer_id,
                    email: email.as_str().to_string(),
                    display_name: display_name.clone(),
                    version: event.version,
                });
                plan.notifications.push(NewNotification {
                    notification_id: notification_id(event.event_id, Kind::Welcome),
                    kind: Kind::Welcome,
                    customer_id: Some(customer_id),
                    recipient: Some(email.as_str().to_string()),
                    order_id: None,
                    sku: None,
                    event_id: event.event_id,
                    created_at: event.occurred_at,
                    message: templates::welcome(display_name),
                });
                continue;
            }
            CustomerEvent::ProfileUpdated { display_name } => (Some(display_name.clone()), None),
            CustomerEvent::CustomerDeactivated {} => (None, Some(false)),
            _ => continue,
        };
        let update = updates
            .entry(customer_id)
            .or_insert_with(|| RecipientUpdate {
                customer_id,
                display_name: None,
                active: None,
                version: event.version,
            });
        update.version = event.version;
        if let (Some(name), _) = &change {
            update.display_name = Some(name.clone());
        }
        if let (_, Some(active)) = change {
            update.active = Some(active);
        }
    }
    plan.recipient_updates = updates.into_values().collect();
}

fn order_notification(
    event: &EventsOf<Order>,
    orders: &HashMap<Uuid, OrderFacts>,
) -> Option<NewNotification> {
    let order_id = stream_uuid(event)?;
    let facts = orders.get(&order_id);
    let (kind, message) = match &event.event {
        OrderEvent::OrderConfirmed {} => (
            Kind::OrderConfirmed,
            templates::order_confirmed(order_id, facts.map(|f| f.total)),
        ),
        OrderEvent::OrderShipped {
            carrier,
            tracking_number,
        } => (
            Kind::OrderShipped,
            templates::order_shipped(order_id, carrier, tracking_number),
        ),
        OrderEvent::OrderCancelled { reason, refund_due } => (
            Kind::OrderCancelled,
            templates::order_cancelled(order_id, *reason, *refund_due),
        ),
        _ => return None,
    };
    Some(NewNotification {
        notification_id: notification_id(event.event_id, kind),
        kind,
        customer_id: facts.map(|f| f.customer_id),
        recipient: None,
        order_id: Some(order_id),
        sku: None,
        event_id: event.event_id,
        created_at: event.occurred_at,
        message,
    })
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
