//! Coupon views of the admin schema: coupons, their usage and redemptions.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    pagination::PageInfo,
    schema::loaders,
    store::admin::{CouponRow, RedemptionRow},
};

/// A coupon.
pub struct Coupon(pub(super) CouponRow);

/// A coupon.
#[Object]
impl Coupon {
    /// The code customers type.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// `percentage` or `fixed_amount`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// Basis points for a percentage (1000 = 10 %), minor units for a fixed amount.
    async fn value(&self) -> i64 {
        self.0.value
    }

    /// Currency of a fixed amount or minimum order value.
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }

    /// Minimum order value, minor units.
    async fn min_order_minor(&self) -> Option<i64> {
        self.0.min_order_minor
    }

    /// Valid from.
    async fn valid_from(&self) -> DateTime<Utc> {
        self.0.valid_from
    }

    /// Valid until.
    async fn valid_until(&self) -> DateTime<Utc> {
        self.0.valid_until
    }

    /// Most redemptions overall.
    async fn global_limit(&self) -> Option<i32> {
        self.0.global_limit
    }

    /// Most redemptions per customer.
    async fn per_customer_limit(&self) -> Option<i32> {
        self.0.per_customer_limit
    }

    /// Active redemptions (redeemed, not released).
    async fn redemption_count(&self) -> i32 {
        self.0.redemptions
    }

    /// Whether it can still be redeemed.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// Every redemption (active, released or refused), newest first.
    #[graphql(complexity = "crate::schema::VARIANTS_WEIGHT * child_complexity")]
    async fn redemptions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Redemption>> {
        let rows = loaders(ctx)?
            .commerce
            .redemptions
            .load_one(self.0.code.clone())
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Redemption::from).collect())
    }
}

/// A coupon and its cursor.
#[derive(SimpleObject)]
pub struct CouponEdge {
    /// Pass as `after` to continue after this coupon.
    pub cursor: String,
    /// The coupon.
    pub node: Coupon,
}

/// A page of coupons.
#[derive(SimpleObject)]
pub struct CouponConnection {
    /// The coupons of this page.
    pub edges: Vec<CouponEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
}

/// One order's use of a coupon.
#[derive(Debug, Clone, SimpleObject)]
pub struct Redemption {
    /// The order.
    pub order_id: ID,
    /// Who redeemed it.
    pub customer_id: ID,
    /// `active`, `released` or `refused`.
    pub status: String,
    /// Discount granted, minor units.
    pub discount_minor: Option<i64>,
    /// Why it was refused.
    pub reason: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<RedemptionRow> for Redemption {
    fn from(row: RedemptionRow) -> Self {
        Self {
            order_id: ID(row.order_id.to_string()),
            customer_id: ID(row.customer_id.to_string()),
            status: row.status,
            discount_minor: row.discount_minor,
            reason: row.reason,
            updated_at: row.updated_at,
        }
    }
}
