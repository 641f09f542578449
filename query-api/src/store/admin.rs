//! What only staff reads: low stock, open reservations, coupons and their redemptions, the
//! dead-letter re-drive log, and where each projection stands.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::{Store, inventory::InventoryRow};
use crate::error::QueryError;

/// A reserved order line whose order is still open (placed or confirmed, not yet paid): the
/// units it holds count in `inventory_items.reserved` until the saga commits or releases them.
#[derive(Debug, Clone, FromRow)]
pub struct ReservationRow {
    /// SKU held.
    pub sku: String,
    /// The order holding it.
    pub order_id: Uuid,
    /// Line of that order.
    pub line: i32,
    /// Units held.
    pub quantity: i32,
    /// The order's status.
    pub order_status: String,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
}

/// One row of `coupons`.
#[derive(Debug, Clone, FromRow)]
pub struct CouponRow {
    /// The code customers type.
    pub code: String,
    /// `percentage` or `fixed_amount`.
    pub kind: String,
    /// Basis points for a percentage, minor units for a fixed amount.
    pub value: i64,
    /// Currency of a fixed amount or minimum order value.
    pub currency: Option<String>,
    /// Minimum order value, minor units.
    pub min_order_minor: Option<i64>,
    /// Valid from.
    pub valid_from: DateTime<Utc>,
    /// Valid until.
    pub valid_until: DateTime<Utc>,
    /// Most redemptions overall.
    pub global_limit: Option<i32>,
    /// Most redemptions per customer.
    pub per_customer_limit: Option<i32>,
    /// Active redemptions.
    pub redemptions: i32,
    /// Whether it can still be redeemed.
    pub active: bool,
}

/// One row of `coupon_redemptions`.
#[derive(Debug, Clone, FromRow)]
pub struct RedemptionRow {
    /// The coupon.
    pub code: String,
    /// The order it was redeemed on.
    pub order_id: Uuid,
    /// Who redeemed it.
    pub customer_id: Uuid,
    /// `active`, `released` or `refused`.
    pub status: String,
    /// Discount granted, minor units.
    pub discount_minor: Option<i64>,
    /// Why it was refused.
    pub reason: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One row of `dead_letter_redrives`.
#[derive(Debug, Clone, FromRow)]
pub struct RedriveRow {
    /// Log epoch the re-drive patched.
    pub log_epoch: Uuid,
    /// Projection the letter was for.
    pub projection: String,
    /// Events partition of the record.
    pub partition: i32,
    /// Offset of the record.
    pub offset: i64,
    /// Event within the record (nil for the whole record).
    pub event_id: Uuid,
    /// When it was re-driven.
    pub redriven_at: DateTime<Utc>,
    /// What the re-drive did.
    pub outcome: String,
}

/// One row of `projection_checkpoints`.
#[derive(Debug, Clone, FromRow)]
pub struct CheckpointRow {
    /// Projection.
    pub projection: String,
    /// Events partition.
    pub partition: i32,
    /// Next offset to read.
    pub next_offset: i64,
    /// Partition epoch at that offset.
    pub owner_epoch: Option<i64>,
    /// Log the checkpoint belongs to.
    pub log_epoch: Uuid,
    /// When it was written.
    pub updated_at: DateTime<Utc>,
}

/// One row of `projection_versions`.
#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    /// Rebuild unit.
    pub unit: String,
    /// Generation readers see.
    pub generation: i32,
    /// Code version that built it.
    pub code_version: i32,
    /// When readers switched to it.
    pub switched_at: DateTime<Utc>,
}

fn as_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl Store {
    /// Up to `limit` low-stock SKUs after `after` (availability, SKU), lowest availability first.
    pub async fn low_stock(
        &self,
        after: Option<(i64, &str)>,
        limit: usize,
    ) -> Result<Vec<InventoryRow>, QueryError> {
        // Matches the partial index `inventory_items_low_stock_idx (available, sku)`.
        Ok(sqlx::query_as::<_, InventoryRow>(
            "SELECT sku, on_hand, reserved, available, low_stock_threshold, low_stock, updated_at \
             FROM inventory_items \
             WHERE low_stock AND ($1::int8 IS NULL OR (available, sku) > ($1, $2)) \
             ORDER BY available, sku LIMIT $3",
        )
        .bind(after.map(|(available, _)| available))
        .bind(after.map(|(_, sku)| sku))
        .bind(as_limit(limit))
        .fetch_all(self.counted())
        .await?)
    }

    /// Open reservations of these SKUs, oldest order first.
    pub async fn reservations_of(
        &self,
        skus: &[String],
    ) -> Result<Vec<ReservationRow>, QueryError> {
        Ok(sqlx::query_as::<_, ReservationRow>(
            "SELECT l.sku, l.order_id, l.line, l.quantity, o.status AS order_status, o.placed_at \
             FROM order_lines l JOIN orders o USING (order_id) \
             WHERE l.sku = ANY($1) AND l.state = 'reserved' \
               AND o.status IN ('placed', 'confirmed') \
             ORDER BY l.sku, o.placed_at, l.order_id, l.line",
        )
        .bind(skus)
        .fetch_all(self.counted())
        .await?)
    }

    /// Up to `limit` coupons after code `after`, by code.
    pub async fn coupon_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CouponRow>, QueryError> {
        Ok(sqlx::query_as::<_, CouponRow>(
            "SELECT code, kind, value, currency, min_order_minor, valid_from, valid_until, \
                    global_limit, per_customer_limit, redemptions, active \
             FROM coupons WHERE ($1::text IS NULL OR code > $1) ORDER BY code LIMIT $2",
        )
        .bind(after)
        .bind(as_limit(limit))
        .fetch_all(self.counted())
        .await?)
    }

    /// Every redemption of these coupons, newest first.
    pub async fn redemptions_of(&self, codes: &[String]) -> Result<Vec<RedemptionRow>, QueryError> {
        Ok(sqlx::query_as::<_, RedemptionRow>(
            "SELECT code, order_id, customer_id, status, discount_minor, reason, updated_at \
             FROM coupon_redemptions WHERE code = ANY($1) \
             ORDER BY code, updated_at DESC, order_id",
        )
        .bind(codes)
        .fetch_all(self.counted())
        .await?)
    }

    /// The latest `limit` dead-letter re-drives, newest first.
    pub async fn redrives(&self, limit: usize) -> Result<Vec<RedriveRow>, QueryError> {
        Ok(sqlx::query_as::<_, RedriveRow>(
            "SELECT log_epoch, projection, partition, \"offset\", event_id, redriven_at, outcome \
             FROM dead_letter_redrives \
             ORDER BY redriven_at DESC, projection, partition, \"offset\", event_id LIMIT $1",
        )
        .bind(as_limit(limit))
        .fetch_all(self.counted())
        .await?)
    }

    /// Every projection checkpoint, by projection and partition.
    pub async fn checkpoints(&self) -> Result<Vec<CheckpointRow>, QueryError> {
        Ok(sqlx::query_as::<_, CheckpointRow>(
            "SELECT projection, partition, next_offset, owner_epoch, log_epoch, updated_at \
             FROM projection_checkpoints ORDER BY projection, partition",
        )
        .fetch_all(self.counted())
        .await?)
    }

    /// Every recorded projection version, by unit.
    pub async fn projection_versions(&self) -> Result<Vec<VersionRow>, QueryError> {
        Ok(sqlx::query_as::<_, VersionRow>(
            "SELECT unit, generation, code_version, switched_at FROM projection_versions \
             ORDER BY unit",
        )
        .fetch_all(self.counted())
        .await?)
    }
}
