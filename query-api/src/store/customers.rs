//! Customers (never their password hashes) from `customers`, and the e-mails sent to them
//! from the notifications reactor's `notifications`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use uuid::Uuid;

use super::Store;
use crate::error::QueryError;

/// Columns of a customer row: everything but `password_hash`.
const CUSTOMER_COLUMNS: &str = "customer_id, email, display_name, role, active, addresses, \
     default_address_id, order_count, lifetime_value_minor, created_at, updated_at";

/// One row of `customers`.
#[derive(Debug, Clone, FromRow)]
pub struct CustomerRow {
    /// Account id.
    pub customer_id: Uuid,
    /// Normalized e-mail address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// `customer`, `staff` or `admin`.
    pub role: String,
    /// Whether the account is active.
    pub active: bool,
    /// Address book: an array of `{"address_id": …, <address fields>}`.
    pub addresses: serde_json::Value,
    /// Default address, if set.
    pub default_address_id: Option<Uuid>,
    /// Orders paid for and not cancelled.
    pub order_count: i32,
    /// What those orders paid minus refunds, minor units.
    pub lifetime_value_minor: i64,
    /// When the account was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A position in the customer listing: newest registration first, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerKey {
    /// Registration time.
    #[serde(rename = "t")]
    pub created_at: DateTime<Utc>,
    /// Account id.
    #[serde(rename = "i")]
    pub id: Uuid,
}

/// One row of `notifications`.
#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    /// Notification id (also the e-mail's Message-ID).
    pub notification_id: Uuid,
    /// `welcome`, `order_confirmed`, `order_shipped`, `order_cancelled`, `refund`, `low_stock`.
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Order it concerns.
    pub order_id: Option<Uuid>,
    /// When the causing event happened.
    pub created_at: DateTime<Utc>,
    /// `pending`, `sent`, `failed`, `skipped`.
    pub status: String,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A position in a customer's notifications: newest first, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationKey {
    /// When the causing event happened.
    #[serde(rename = "t")]
    pub created_at: DateTime<Utc>,
    /// Notification id.
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Store {
    /// The customers with these ids.
    pub async fn customers_by_ids(&self, ids: &[Uuid]) -> Result<Vec<CustomerRow>, QueryError> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE customer_id = ANY($1)");
        Ok(sqlx::query_as::<_, CustomerRow>(&sql)
            .bind(ids)
            .fetch_all(self.counted())
            .await?)
    }

    /// Up to `limit` customers after `after`, newest first, optionally only those whose
    /// e-mail starts with `email_prefix` (case-insensitive; e-mails are stored lowercased).
    pub async fn customer_page(
        &self,
        email_prefix: Option<&str>,
        after: Option<&CustomerKey>,
        limit: usize,
    ) -> Result<Vec<CustomerRow>, QueryError> {
        // The prefix is a bound LIKE pattern with its wildcards escaped, never spliced.
        let pattern = email_prefix.map(|prefix| {
            let escaped = prefix
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("{escaped}%")
        });
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers \
             WHERE ($1::text IS NULL OR email LIKE $1) \
               AND ($2::timestamptz IS NULL OR (created_at, customer_id) < ($2, $3)) \
             ORDER BY created_at DESC, customer_id DESC LIMIT $4"
        );
        Ok(sqlx::query_as::<_, CustomerRow>(&sql)
            .bind(pattern)
            .bind(after.map(|key| key.created_at))
            .bind(after.map(|key| key.id))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.counted())
            .await?)
    }

    /// Up to `limit` notifications of `customer_id` after `after`, newest first.
    pub async fn notification_page(
        &self,
        customer_id: Uuid,
        after: Option<&NotificationKey>,
        limit: usize,
    ) -> Result<Vec<NotificationRow>, QueryError> {
        Ok(sqlx::query_as::<_, NotificationRow>(
            "SELECT notification_id, kind, subject, body, order_id, created_at, status, sent_at \
             FROM notifications \
             WHERE customer_id = $1 \
               AND ($2::timestamptz IS NULL OR (created_at, notification_id) < ($2, $3)) \
             ORDER BY created_at DESC, notification_id DESC LIMIT $4",
        )
        .bind(customer_id)
        .bind(after.map(|key| key.created_at))
        .bind(after.map(|key| key.id))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.counted())
        .await?)
    }
}
