//! The notifications reactor: e-mails to customers (registration, order confirmed, shipped,
//! cancelled, refund) and to staff (low stock), sent at most once per event across replays.
//!
//! Two halves meet in the `notifications` table (the outbox and the sent log at once):
//!
//! - [`reactor`] reads the events log like every projection and, in one Postgres transaction
//!   with its checkpoint, inserts one row per notification keyed by a deterministic id
//!   ([`notification_id`]: UUIDv5 of the causing event and the kind) with `ON CONFLICT DO
//!   NOTHING`. A replay from offset 0 (new log epoch after a restore, a reset checkpoint, a
//!   redelivery) finds the rows already there and creates none.
//! - [`sender`] takes pending rows (`FOR UPDATE SKIP LOCKED`, small batches), sends them over
//!   SMTP through [`mailer`], and marks each sent, deferred (bounded retries with backoff) or
//!   failed, in the transaction that holds the row lock.
//!
//! The table, and the reactor's own lookups (`notification_recipients`, `notification_orders`,
//! `notification_payments`), are not derived state: they are absent from
//! [`crate::migrate::DERIVED_TABLES`], so a log-epoch reset never empties the sent log. Event
//! ids survive a restore, so the replay that follows dedupes against it.
//!
//! # Layout
//! - [`decide`]: events to notification decisions (pure).
//! - [`templates`]: subjects and bodies (pure).
//! - [`store`]: the SQL of both halves.
//! - [`reactor`]: the [`crate::runner::Projection`] that fills the outbox.
//! - [`mailer`]: the SMTP transport (lettre) and message building.
//! - [`sender`]: the loop that drains the outbox.
//! - [`service`]: settings checked at start, both halves spawned in `agora-projector run`.
//!
//! `docs/NOTIFICATIONS.md` has what is sent when and the exactly-once argument.

use std::fmt;

use uuid::Uuid;

pub mod decide;
pub mod mailer;
pub mod reactor;
pub mod sender;
pub mod service;
pub mod store;
pub mod templates;

/// Checkpoint (and dead-letter) name of the reactor.
pub const NAME: &str = "notifications";

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A customer registered.
    Welcome,
    /// An order was confirmed (every line reserved).
    OrderConfirmed,
    /// An order left the warehouse.
    OrderShipped,
    /// An order was cancelled.
    OrderCancelled,
    /// Money was returned to the customer (a payment refund).
    Refund,
    /// A SKU's available stock fell to its threshold (to staff).
    LowStock,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 6] = [
        Kind::Welcome,
        Kind::OrderConfirmed,
        Kind::OrderShipped,
        Kind::OrderCancelled,
        Kind::Refund,
        Kind::LowStock,
    ];

    /// The name stored in `notifications.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Welcome => "welcome",
            Kind::OrderConfirmed => "order_confirmed",
            Kind::OrderShipped => "order_shipped",
            Kind::OrderCancelled => "order_cancelled",
            Kind::Refund => "refund",
            Kind::LowStock => "low_stock",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Namespace of notification ids (a fixed random UUID: changing it would resend everything).
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x5c1f_0b7e_2d4a_4e51_9a3c_71d8_e0f2_6b94);

/// The id of the notification of `kind` caused by event `event_id`: the same on every replay,
/// which is what makes the outbox insert idempotent. It is also the e-mail's `Message-ID`.
pub fn notification_id(event_id: Uuid, kind: Kind) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("{event_id}/{kind}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_id_depends_only_on_the_event_and_the_kind() {
        let event = Uuid::now_v7();
        assert_eq!(
            notification_id(event, Kind::Welcome),
            notification_id(event, Kind::Welcome)
        );
        assert_ne!(
            notification_id(event, Kind::Welcome),
            notification_id(event, Kind::LowStock)
        );
        assert_ne!(
            notification_id(event, Kind::Welcome),
            notification_id(Uuid::now_v7(), Kind::Welcome)
        );
    }

    #[test]
    fn the_sent_log_is_not_among_the_tables_an_epoch_reset_empties() {
        for table in [
            "notifications",
            "notification_recipients",
            "notification_orders",
            "notification_payments",
        ] {
            assert!(!crate::migrate::DERIVED_TABLES.contains(&table), "{table}");
        }
    }

    #[test]
    fn kind_names_are_distinct() {
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }
}
