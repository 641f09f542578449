//! The SQL of the notifications: what the reactor writes with its checkpoint, and how the
//! sender takes and settles the outbox.
//!
//! Every write of the reactor is idempotent on its own (`ON CONFLICT DO NOTHING`, version-guarded
//! updates), so a replay of any stretch of the log leaves the tables as they were; the
//! outbox insert in particular never creates a second row for an event and kind.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use domain::values::{Currency, Money};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::decide::{self, Events, Known, OrderFacts, Plan};

/// Loads the orders and payments of earlier batches that `events` refer to (two queries).
pub async fn load_known(conn: &mut PgConnection, events: &Events) -> Result<Known, sqlx::Error> {
    let payment_ids = decide::payments_to_load(events);
    let payments: HashMap<Uuid, Uuid> = if payment_ids.is_empty() {
        HashMap::new()
    } else {
        sqlx::query_as::<_, (Uuid, Uuid)>(
            "SELECT payment_id, order_id FROM notification_payments WHERE payment_id = ANY($1)",
        )
        .bind(&payment_ids)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect()
    };
    let order_ids = decide::orders_to_load(events, &payments);
    let orders = if order_ids.is_empty() {
        HashMap::new()
    } else {
        sqlx::query_as::<_, (Uuid, Uuid, i64, String)>(
            "SELECT order_id, customer_id, total_minor, currency FROM notification_orders
             WHERE order_id = ANY($1)",
        )
        .bind(&order_ids)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .filter_map(|(order_id, customer_id, total_minor, currency)| {
            // Written from a parsed Currency, so it parses back.
            let currency = Currency::parse(&currency).ok()?;
            let total = Money::new(total_minor, currency);
            Some((order_id, OrderFacts { customer_id, total }))
        })
        .collect()
    };
    Ok(Known { orders, payments })
}

/// Writes `plan`: lookups first, so the outbox insert can resolve buyers and addresses
/// written by the same batch. Events older than `max_age` are recorded as `skipped`. Returns
/// how many notifications were new.
pub async fn write(
    conn: &mut PgConnection,
    plan: &Plan,
    max_age: Duration,
) -> Result<u64, sqlx::Error> {
    write_recipients(conn, plan).await?;
    if !plan.orders.is_empty() {
        let ids: Vec<Uuid> = plan.orders.iter().map(|(id, _)| *id).collect();
        let customers: Vec<Uuid> = plan.orders.iter().map(|(_, f)| f.customer_id).collect();
        let totals: Vec<i64> = plan
            .orders
            .iter()
            .map(|(_, f)| f.total.amount_minor)
            .collect();
        let currencies: Vec<String> = plan
            .orders
            .iter()
            .map(|(_, f)| f.total.currency.to_string())
            .collect();
        sqlx::query(
            "INSERT INTO notification_orders (order_id, customer_id, total_minor, currency)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::text[])
             ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(&ids)
        .bind(&customers)
        .bind(&totals)
        .bind(&currencies)
        .execute(&mut *conn)
        .await?;
    }
    if !plan.payments.is_empty() {
        let (payments, orders): (Vec<Uuid>, Vec<Uuid>) = plan.payments.iter().copied().unzip();
        sqlx::query(
            "INSERT INTO notification_payments (payment_id, order_id)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[])
             ON CONFLICT (payment_id) DO NOTHING",
        )
        .bind(&payments)
        .bind(&orders)
        .execute(&mut *conn)
        .await?;
    }
    insert_notifications(conn, plan, max_age).await
}

async fn write_recipients(conn: &mut PgConnection, plan: &Plan) -> Result<(), sqlx::Error> {
    if !plan.registrations.is_empty() {
        let r = &plan.registrations;
        sqlx::query(
            "INSERT INTO notification_recipients (customer_id, email, display_name, stream_version)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[])
             ON CONFLICT (customer_id) DO NOTHING",
        )
        .bind(r.iter().map(|r| r.customer_id).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.email.clone()).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.display_name.clone()).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.version).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    if !plan.recipient_updates.is_empty() {
        let u = &plan.recipient_updates;
        // Only forward: a replay of older events finds a newer version and changes nothing.
        sqlx::query(
            "UPDATE notification_recipients AS r
             SET display_name = COALESCE(u.display_name, r.display_name),
                 active = COALESCE(u.active, r.active),
                 stream_version = u.version
             FROM UNNEST($1::uuid[], $2::text[], $3::bool[], $4::bigint[])
                  AS u(customer_id, display_name, active, version)
             WHERE r.customer_id = u.customer_id AND r.stream_version < u.version",
        )
        .bind(u.iter().map(|u| u.customer_id).collect::<Vec<_>>())
        .bind(u.iter().map(|u| u.display_name.clone()).collect::<Vec<_>>())
        .bind(u.iter().map(|u| u.active).collect::<Vec<_>>())
        .bind(u.iter().map(|u| u.version).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_notifications(
    conn: &mut PgConnection,
    plan: &Plan,
    max_age: Duration,
) -> Result<u64, sqlx::Error> {
    let n = &plan.notifications;
    if n.is_empty() {
        return Ok(0);
    }
    let inserted = sqlx::query(
        "INSERT INTO notifications (notification_id, kind, customer_id, recipient, subject, body,
                                    event_id, order_id, sku, created_at, status, last_error)
         SELECT n.id, n.kind, COALESCE(n.customer_id, o.customer_id),
                COALESCE(n.recipient, r.email), n.subject, n.body, n.event_id, n.order_id, n.sku,
                n.created_at,
                CASE WHEN n.created_at < now() - make_interval(secs => $11) THEN 'skipped'
                     ELSE 'pending' END,
                CASE WHEN n.created_at < now() - make_interval(secs => $11)
                     THEN 'the event was older than AGORA_NOTIFY_MAX_AGE_SECS when first seen'
                END
         FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                     $7::uuid[], $8::uuid[], $9::text[], $10::timestamptz[])
              AS n(id, kind, customer_id, recipient, subject, body, event_id, order_id, sku,
                   created_at)
         LEFT JOIN notification_orders AS o ON o.order_id = n.order_id
         LEFT JOIN notification_recipients AS r
                ON r.customer_id = COALESCE(n.customer_id, o.customer_id)
         ON CONFLICT (notification_id) DO NOTHING",
    )
    .bind(n.iter().map(|n| n.notification_id).collect::<Vec<_>>())
    .bind(n.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>())
    .bind(n.iter().map(|n| n.customer_id).collect::<Vec<_>>())
    .bind(n.iter().map(|n| n.recipient.clone()).collect::<Vec<_>>())
    .bind(
        n.iter()
            .map(|n| n.message.subject.clone())
            .collect::<Vec<_>>(),
    )
    .bind(n.iter().map(|n| n.message.body.clone()).collect::<Vec<_>>())
    .bind(n.iter().map(|n| n.event_id).collect::<Vec<_>>())
    .bind(n.iter().map(|n| n.order_id).collect::<Vec<_>>())
    .bind(n.iter().map(|n| n.sku.clone()).collect::<Vec<_>>())
    .bind(
        n.iter()
            .map(|n| n.created_at)
            .collect::<Vec<DateTime<Utc>>>(),
    )
    .bind(max_age.as_secs_f64())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted)
}

/// A notification the sender holds (row-locked) and may send now.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Outgoing {
    /// Id, and the e-mail's Message-ID.
    pub notification_id: Uuid,
    /// What it is about (`notifications.kind`).
    pub kind: String,
    /// The address.
    pub recipient: String,
    /// The customer's display name, for the `To:` header.
    pub display_name: Option<String>,
    /// The customer, once known.
    pub customer_id: Option<Uuid>,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Attempts before this one.
    pub attempts: i32,
}

/// Locks and returns up to `limit` pending notifications that are due and addressable, oldest
/// due first. Rows another sender holds are skipped, so two projectors never send one mail
/// at the same time.
pub async fn take_due(
    tx: &mut Transaction<'_, Postgres>,
    limit: i64,
) -> Result<Vec<Outgoing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT n.notification_id, n.kind, COALESCE(n.recipient, r.email) AS recipient,
                r.display_name, COALESCE(n.customer_id, o.customer_id) AS customer_id,
                n.subject, n.body, n.attempts
         FROM notifications AS n
         LEFT JOIN notification_orders AS o ON o.order_id = n.order_id
         LEFT JOIN notification_recipients AS r
                ON r.customer_id = COALESCE(n.customer_id, o.customer_id)
         WHERE n.status = 'pending' AND n.next_attempt_at <= now()
           AND COALESCE(n.recipient, r.email) IS NOT NULL
         ORDER BY n.next_attempt_at, n.created_at
         LIMIT $1
         FOR UPDATE OF n SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// The SMTP server accepted `mail`.
pub async fn mark_sent(
    tx: &mut Transaction<'_, Postgres>,
    mail: &Outgoing,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications
         SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL,
             recipient = $2, customer_id = COALESCE(customer_id, $3)
         WHERE notification_id = $1",
    )
    .bind(mail.notification_id)
    .bind(&mail.recipient)
    .bind(mail.customer_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sending failed in a way that may pass: try again after `delay`.
pub async fn mark_deferred(
    tx: &mut Transaction<'_, Postgres>,
    notification_id: Uuid,
    error: &str,
    delay: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications
         SET attempts = attempts + 1, last_error = $2,
             next_attempt_at = now() + make_interval(secs => $3)
         WHERE notification_id = $1",
    )
    .bind(notification_id)
    .bind(error)
    .bind(delay.as_secs_f64())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sending failed for good (refused, or out of attempts).
pub async fn mark_failed(
    tx: &mut Transaction<'_, Postgres>,
    notification_id: Uuid,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = $2
         WHERE notification_id = $1",
    )
    .bind(notification_id)
    .bind(error)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many notifications wait to be sent (for the log line when no SMTP server is set).
pub async fn pending_count(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE status = 'pending'")
        .fetch_one(conn)
        .await
}
