//! Coupon: a discount code (`coupon-<CODE>`) with a validity window, a minimum order value and
//! global and per-customer limits.
//!
//! Redemption is keyed by order: each order redeems at most once, and releasing (order rejected
//! or cancelled) gives the use back. Limits count *active* redemptions, so they are never
//! exceeded whatever the interleaving of redeems and releases.
//!
//! Money rounding: a percentage discount is `subtotal × basis_points / 10 000` rounded half up
//! to the minor unit ([`Money::basis_points`]); any discount is capped at the subtotal, so the
//! total never goes negative. [`Coupon::quote`] computes the same discount for callers pricing
//! an order before placing it.

mod commands;
mod decide;
mod errors;
mod events;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::CouponCommand;
pub use errors::CouponError;
pub use events::CouponEvent;

use crate::Aggregate;
use crate::values::{CouponCode, Money};

/// Stream name prefix.
pub const KIND: &str = "coupon";

/// The stream of one coupon: `coupon-<CODE>` (code in its normalized uppercase form).
pub fn stream_id(code: &CouponCode) -> String {
    format!("{KIND}-{code}")
}

/// What a coupon takes off. Serialized as `{"kind": "percentage", "basis_points": 1000}` or
/// `{"kind": "fixed_amount", "amount": {...}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discount {
    /// A share of the subtotal, in basis points (1 000 bp = 10 %), 1..=10 000.
    Percentage {
        /// Basis points.
        basis_points: u32,
    },
    /// A fixed amount, capped at the subtotal.
    FixedAmount {
        /// The amount.
        amount: Money,
    },
}

/// Why a redemption was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// The coupon was disabled.
    Disabled,
    /// Before `valid_from`.
    NotYetValid,
    /// At or after `valid_until`.
    Expired,
    /// The subtotal is in another currency than the coupon's amounts.
    CurrencyMismatch,
    /// The subtotal is below the minimum order value.
    BelowMinimum,
    /// The global limit is reached.
    GlobalLimitReached,
    /// This customer's limit is reached.
    CustomerLimitReached,
}

/// The fixed terms of a coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponTerms {
    /// The code.
    pub code: CouponCode,
    /// What it takes off.
    pub discount: Discount,
    /// Smallest subtotal it applies to.
    pub min_order_value: Option<Money>,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity (exclusive).
    pub valid_until: DateTime<Utc>,
    /// Most active redemptions overall.
    pub global_limit: Option<u32>,
    /// Most active redemptions per customer.
    pub per_customer_limit: Option<u32>,
}

/// What happened to one order's redemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionStatus {
    /// Counts against the limits.
    Active,
    /// Given back.
    Released,
    /// Never granted.
    Refused,
}

/// One order's redemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// The buyer.
    pub customer_id: Uuid,
    /// Current status.
    pub status: RedemptionStatus,
}

/// The state of one coupon. Serializable for snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    terms: Option<CouponTerms>,
    disabled: bool,
    redemptions: BTreeMap<Uuid, Redemption>,
}

impl Coupon {
    /// The terms, once created.
    pub fn terms(&self) -> Option<&CouponTerms> {
        self.terms.as_ref()
    }

    /// True once disabled.
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// Active redemptions overall.
    pub fn active_redemptions(&self) -> usize {
        self.redemptions
            .values()
            .filter(|r| r.status == RedemptionStatus::Active)
            .count()
    }

    /// Active redemptions of one customer.
    pub fn active_redemptions_of(&self, customer_id: Uuid) -> usize {
        self.redemptions
            .values()
            .filter(|r| r.status == RedemptionStatus::Active && r.customer_id == customer_id)
            .count()
    }

    /// The redemption of one order.
    pub fn redemption(&self, order_id: Uuid) -> Option<&Redemption> {
        self.redemptions.get(&order_id)
    }

    /// The discount `customer_id` would get on `subtotal` at `now`, or why not.
    ///
    /// Used by `RedeemCoupon` and by callers pricing an order before placing it, so both agree.
    /// Returns `None` when the coupon does not exist.
    pub fn quote(
        &self,
        customer_id: Uuid,
        subtotal: Money,
        now: DateTime<Utc>,
    ) -> Option<Result<Money, RefusalReason>> {
        let terms = self.terms.as_ref()?;
        Some(self.quote_terms(terms, customer_id, subtotal, now))
    }

    fn quote_terms(
        &self,
        terms: &CouponTerms,
        customer_id: Uuid,
        subtotal: Money,
        now: DateTime<Utc>,
    ) -> Result<Money, RefusalReason> {
        if self.disabled {
            return Err(RefusalReason::Disabled);
        }
        if now < terms.valid_from {
            return Err(RefusalReason::NotYetValid);
        }
        if now >= terms.valid_until {
            return Err(RefusalReason::Expired);
        }
        if let Some(min) = terms.min_order_value {
            if min.currency != subtotal.currency {
                return Err(RefusalReason::CurrencyMismatch);
            }
            if subtotal.amount_minor < min.amount_minor {
                return Err(RefusalReason::BelowMinimum);
            }
        }
        let within = |limit: Option<u32>, used: usize| {
            limit.is_none_or(|l| used < usize::try_from(l).unwrap_or(usize::MAX))
        };
        if !within(terms.global_limit, self.active_redemptions()) {
            return Err(RefusalReason::GlobalLimitReached);
        }
        if !within(
            terms.per_customer_limit,
            self.active_redemptions_of(customer_id),
        ) {
            return Err(RefusalReason::CustomerLimitReached);
        }
        discount(terms.discount, subtotal)
    }
}

/// The discount on `subtotal`: percentages round half up to the minor unit; every discount is
/// capped at the subtotal.
pub fn discount(discount: Discount, subtotal: Money) -> Result<Money, RefusalReason> {
    let raw = match discount {
        // Creation caps percentages at 10 000 bp, so the result never exceeds the subtotal
        // and cannot overflow; the fallback only keeps this total for hand-built terms.
        Discount::Percentage { basis_points } => {
            subtotal.basis_points(basis_points).unwrap_or(subtotal)
        }
        Discount::FixedAmount { amount } => {
            if amount.currency != subtotal.currency {
                return Err(RefusalReason::CurrencyMismatch);
            }
            amount
        }
    };
    Ok(if raw.amount_minor > subtotal.amount_minor {
        subtotal
    } else {
        raw
    })
}

impl Aggregate for Coupon {
    const KIND: &'static str = KIND;
    type Command = CouponCommand;
    type Event = CouponEvent;
    type Error = CouponError;

    fn decide(&self, command: CouponCommand) -> Result<Vec<CouponEvent>, CouponError> {
        decide::decide(self, command)
    }

    fn evolve(mut self, event: &CouponEvent) -> Self {
        use CouponEvent as E;
        match event {
            E::CouponCreated {
                code,
                discount,
                min_order_value,
                valid_from,
                valid_until,
                global_limit,
                per_customer_limit,
            } => {
                self.terms = Some(CouponTerms {
                    code: code.clone(),
                    discount: *discount,
                    min_order_value: *min_order_value,
                    valid_from: *valid_from,
                    valid_until: *valid_until,
                    global_limit: *global_limit,
                    per_customer_limit: *per_customer_limit,
                });
            }
            E::CouponRedeemed {
                order_id,
                customer_id,
                ..
            } => {
                self.redemptions.insert(
                    *order_id,
                    Redemption {
                        customer_id: *customer_id,
                        status: RedemptionStatus::Active,
                    },
                );
            }
            E::CouponRedemptionRefused {
                order_id,
                customer_id,
                ..
            } => {
                self.redemptions.insert(
                    *order_id,
                    Redemption {
                        customer_id: *customer_id,
                        status: RedemptionStatus::Refused,
                    },
                );
            }
            E::CouponRedemptionReleased { order_id, .. } => {
                if let Some(r) = self.redemptions.get_mut(order_id) {
                    r.status = RedemptionStatus::Released;
                }
            }
            E::CouponDisabled {} => self.disabled = true,
        }
        self
    }
}
