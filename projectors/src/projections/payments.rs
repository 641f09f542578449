//! Payments: one `payments` row per payment, from payment events; and the order's view of its
//! payment (`orders.payment_id`, `payment_status`, see [`super::orders::refresh_payments`]).
//!
//! A batch loads the rows of the payments it touches (one query), folds the events into them
//! (a refund's effect on the status depends on what was captured), upserts them in one
//! statement, then refreshes the orders they pay for.

use std::collections::{BTreeMap, HashMap, btree_map::Entry};

use chrono::{DateTime, Utc};
use domain::payment::{Payment, PaymentEvent, PaymentMethod};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read_model::{EventsOf, ReadModel};

/// Checkpoint name.
pub const NAME: &str = "payments";

/// The payments read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Payments;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Row {
    payment_id: Uuid,
    order_id: Uuid,
    status: String,
    amount_minor: i64,
    authorized_minor: i64,
    captured_minor: i64,
    refunded_minor: i64,
    currency: String,
    method: String,
    provider_reference: Option<String>,
    failure_reason: Option<String>,
    initiated_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    stream_version: i64,
}

fn method_name(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Card => "card",
        PaymentMethod::Wallet => "wallet",
    }
}

/// Payment ids the batch touches without initiating them.
fn existing_ids(events: &[EventsOf<Payment>]) -> Vec<Uuid> {
    let mut initiated = Vec::new();
    let mut ids = Vec::new();
    for event in events {
        let Ok(id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if matches!(event.event, PaymentEvent::PaymentInitiated { .. }) {
            initiated.push(id);
        } else if !initiated.contains(&id) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Folds `events` onto `rows` (the loaded rows of payments initiated in earlier batches),
/// following the domain's `evolve`.
fn fold(mut rows: HashMap<Uuid, Row>, events: &[EventsOf<Payment>]) -> BTreeMap<Uuid, Row> {
    let mut touched: BTreeMap<Uuid, Row> = BTreeMap::new();
    for event in events {
        let Ok(payment_id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if let PaymentEvent::PaymentInitiated {
            order_id,
            amount,
            method,
            ..
        } = &event.event
        {
            touched.insert(
                payment_id,
                Row {
                    payment_id,
                    order_id: *order_id,
                    status: "initiated".into(),
                    amount_minor: amount.amount_minor,
                    authorized_minor: 0,
                    captured_minor: 0,
                    refunded_minor: 0,
                    currency: amount.currency.as_str().to_string(),
                    method: method_name(*method).to_string(),
                    provider_reference: None,
                    failure_reason: None,
                    initiated_at: event.occurred_at,
                    updated_at: event.occurred_at,
                    stream_version: event.version,
                },
            );
            continue;
        }
        let row = match touched.entry(payment_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => match rows.remove(&payment_id) {
                Some(loaded) => entry.insert(loaded),
                None => {
                    tracing::warn!(projection = NAME, stream = %event.stream, version = event.version, "event for a payment never initiated; skipped");
                    continue;
                }
            },
        };
        row.updated_at = event.occurred_at;
        row.stream_version = event.version;
        match &event.event {
            PaymentEvent::PaymentInitiated { .. } => {}
            PaymentEvent::PaymentAuthorized {
                amount,
                provider_reference,
            } => {
                row.status = "authorized".into();
                row.authorized_minor = amount.amount_minor;
                row.provider_reference = Some(provider_reference.clone());
            }
            PaymentEvent::PaymentCaptured { captured_total, .. } => {
                row.status = "captured".into();
                row.captured_minor = captured_total.amount_minor;
            }
            PaymentEvent::PaymentDeclined { reason } => {
                row.status = "declined".into();
                row.failure_reason = Some(reason.clone());
            }
            PaymentEvent::PaymentFailed { reason } => {
                row.status = "failed".into();
                row.failure_reason = Some(reason.clone());
            }
            PaymentEvent::PaymentRefunded { refunded_total, .. } => {
                row.refunded_minor = refunded_total.amount_minor;
                if row.refunded_minor == row.captured_minor {
                    row.status = "refunded".into();
                }
            }
        }
    }
    touched
}

#[derive(Default)]
struct Columns {
    payment_id: Vec<Uuid>,
    order_id: Vec<Uuid>,
    status: Vec<String>,
    amount_minor: Vec<i64>,
    authorized_minor: Vec<i64>,
    captured_minor: Vec<i64>,
    refunded_minor: Vec<i64>,
    currency: Vec<String>,
    method: Vec<String>,
    provider_reference: Vec<Option<String>>,
    failure_reason: Vec<Option<String>>,
    initiated_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
    stream_version: Vec<i64>,
}

impl Columns {
    fn push(&mut self, row: Row) {
        self.payment_id.push(row.payment_id);
        self.order_id.push(row.order_id);
        self.status.push(row.status);
        self.amount_minor.push(row.amount_minor);
        self.authorized_minor.push(row.authorized_minor);
        self.captured_minor.push(row.captured_minor);
        self.refunded_minor.push(row.refunded_minor);
        self.currency.push(row.currency);
        self.method.push(row.method);
        self.provider_reference.push(row.provider_reference);
        self.failure_reason.push(row.failure_reason);
        self.initiated_at.push(row.initiated_at);
        self.updated_at.push(row.updated_at);
        self.stream_version.push(row.stream_version);
    }
}

const LOAD: &str = "
    SELECT payment_id, order_id, status, amount_minor, authorized_minor, captured_minor,
           refunded_minor, currency, method, provider_reference, failure_reason, initiated_at,
           updated_at, stream_version
    FROM payments WHERE payment_id = ANY($1)";

const UPSERT: &str = "
    INSERT INTO payments (payment_id, order_id, status, amount_minor, authorized_minor,
                          captured_minor, refunded_minor, currency, method, provider_reference,
                          failure_reason, initiated_at, updated_at, stream_version)
    SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[],
                         $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[],
                         $11::text[], $12::timestamptz[], $13::timestamptz[], $14::bigint[])
    ON CONFLICT (payment_id) DO UPDATE SET
        status = EXCLUDED.status,
        authorized_minor = EXCLUDED.authorized_minor,
        captured_minor = EXCLUDED.captured_minor,
        refunded_minor = EXCLUDED.refunded_minor,
        provider_reference = EXCLUDED.provider_reference,
        failure_reason = EXCLUDED.failure_reason,
        updated_at = EXCLUDED.updated_at,
        stream_version = EXCLUDED.stream_version";

impl ReadModel for Payments {
    const NAME: &'static str = NAME;
    type Aggregate = Payment;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<Payment>],
    ) -> Result<(), sqlx::Error> {
        super::orders::lock_checkout_models(&mut *conn).await?;
        let ids = existing_ids(events);
        let rows: Vec<Row> = if ids.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(LOAD)
                .bind(&ids)
                .fetch_all(&mut *conn)
                .await?
        };
        let rows = rows.into_iter().map(|row| (row.payment_id, row)).collect();
        let mut columns = Columns::default();
        for row in fold(rows, events).into_values() {
            columns.push(row);
        }
        if columns.payment_id.is_empty() {
            return Ok(());
        }
        let mut orders = columns.order_id.clone();
        orders.sort_unstable();
        orders.dedup();
        sqlx::query(UPSERT)
            .bind(&columns.payment_id)
            .bind(&columns.order_id)
            .bind(&columns.status)
            .bind(&columns.amount_minor)
            .bind(&columns.authorized_minor)
            .bind(&columns.captured_minor)
            .bind(&columns.refunded_minor)
            .bind(&columns.currency)
            .bind(&columns.method)
            .bind(&columns.provider_reference)
            .bind(&columns.failure_reason)
            .bind(&columns.initiated_at)
            .bind(&columns.updated_at)
            .bind(&columns.stream_version)
            .execute(&mut *conn)
            .await?;
        super::orders::refresh_payments(&mut *conn, &orders).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoded;
    use domain::values::{Currency, Money};

    fn eur(amount_minor: i64) -> Money {
        Money {
            amount_minor,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    fn at(id: Uuid, version: i64, event: PaymentEvent) -> EventsOf<Payment> {
        Decoded {
            partition: 0,
            offset: version,
            event_id: Uuid::now_v7(),
            stream: format!("payment-{id}"),
            version,
            occurred_at: DateTime::from_timestamp(1_700_000_000 + version, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn a_payment_captured_then_fully_refunded_is_refunded() {
        let (id, order_id) = (Uuid::now_v7(), Uuid::now_v7());
        let events = vec![
            at(
                id,
                1,
                PaymentEvent::PaymentInitiated {
                    payment_id: id,
                    order_id,
                    amount: eur(5_000),
                    method: PaymentMethod::Card,
                    instrument_token: "tok".into(),
                    idempotency_key: "key".into(),
                },
            ),
            at(
                id,
                2,
                PaymentEvent::PaymentAuthorized {
                    amount: eur(5_000),
                    provider_reference: "ref-1".into(),
                },
            ),
            at(
                id,
                3,
                PaymentEvent::PaymentCaptured {
                    amount: eur(5_000),
                    captured_total: eur(5_000),
                },
            ),
            at(
                id,
                4,
                PaymentEvent::PaymentRefunded {
                    refund_id: Uuid::now_v7(),
                    amount: eur(2_000),
                    refunded_total: eur(2_000),
                },
            ),
        ];
        assert!(existing_ids(&events).is_empty());
        let row = fold(HashMap::new(), &events).remove(&id).unwrap();
        assert_eq!(row.status, "captured", "a partial refund keeps it captured");
        assert_eq!(
            (row.authorized_minor, row.captured_minor, row.refunded_minor),
            (5_000, 5_000, 2_000)
        );
        let more = vec![at(
            id,
            5,
            PaymentEvent::PaymentRefunded {
                refund_id: Uuid::now_v7(),
                amount: eur(3_000),
                refunded_total: eur(5_000),
            },
        )];
        assert_eq!(existing_ids(&more), vec![id]);
        let row = fold(HashMap::from([(id, row)]), &more).remove(&id).unwrap();
        assert_eq!(row.status, "refunded");
        assert_eq!(row.stream_version, 5);
        assert_eq!(row.initiated_at, events[0].occurred_at);
    }
}
