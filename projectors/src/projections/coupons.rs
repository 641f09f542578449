//! Coupons: `coupons` and `coupon_redemptions` from coupon events.
//!
//! Redemptions are kept per order (the domain's key), so `coupons.redemptions` is recounted
//! from them (active = redeemed and not released) rather than incremented: the figure is the one
//! the domain checks its limits against. A batch folds to one patch per coupon and one per
//! redemption and lands in four statements: insert created coupons, update the others, upsert
//! redemptions, recount.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::coupon::{Coupon, CouponEvent, Discount};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read_model::{EventsOf, ReadModel};

/// Checkpoint name.
pub const NAME: &str = "coupons";

/// The coupons read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Coupons;

/// The terms of a coupon created in the batch.
#[derive(Debug, Clone, PartialEq)]
struct Terms {
    kind: &'static str,
    value: i64,
    currency: Option<String>,
    min_order_minor: Option<i64>,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    global_limit: Option<i32>,
    per_customer_limit: Option<i32>,
}

/// What a batch changes on one coupon row.
#[derive(Debug, Clone, PartialEq)]
struct Patch {
    created: Option<(Terms, DateTime<Utc>)>,
    disabled: bool,
    updated_at: DateTime<Utc>,
    stream_version: i64,
}

/// What a batch changes on one order's redemption; `None` keeps what is stored.
#[derive(Debug, Clone, PartialEq)]
struct Redemption {
    customer_id: Uuid,
    status: &'static str,
    discount_minor: Option<i64>,
    reason: Option<String>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Fold {
    coupons: BTreeMap<String, Patch>,
    redemptions: BTreeMap<(String, Uuid), Redemption>,
}

fn limit(value: Option<u32>) -> Option<i32> {
    value.map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

fn terms(event: &CouponEvent) -> Option<Terms> {
    let CouponEvent::CouponCreated {
        discount,
        min_order_value,
        valid_from,
        valid_until,
        global_limit,
        per_customer_limit,
        ..
    } = event
    else {
        return None;
    };
    let (kind, value, currency) = match discount {
        Discount::Percentage { basis_points } => ("percentage", i64::from(*basis_points), None),
        Discount::FixedAmount { amount } => (
            "fixed_amount",
            amount.amount_minor,
            Some(amount.currency.as_str().to_string()),
        ),
    };
    Some(Terms {
        kind,
        value,
        currency: currency.or_else(|| min_order_value.map(|m| m.currency.as_str().to_string())),
        min_order_minor: min_order_value.map(|m| m.amount_minor),
        valid_from: *valid_from,
        valid_until: *valid_until,
        global_limit: limit(*global_limit),
        per_customer_limit: limit(*per_customer_limit),
    })
}

fn snake<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => Some(text),
        _ => None,
    }
}

fn fold(events: &[EventsOf<Coupon>]) -> Fold {
    let mut fold = Fold::default();
    for event in events {
        let code = event.stream_id().to_string();
        let patch = fold.coupons.entry(code.clone()).or_insert(Patch {
            created: None,
            disabled: false,
            updated_at: event.occurred_at,
            stream_version: event.version,
        });
        patch.updated_at = event.occurred_at;
        patch.stream_version = event.version;
        let redemption = |customer_id: &Uuid, status, discount_minor, reason| Redemption {
            customer_id: *customer_id,
            status,
            discount_minor,
            reason,
            updated_at: event.occurred_at,
        };
        let (order_id, redemption) = match &event.event {
            CouponEvent::CouponCreated { .. } => {
                patch.created = terms(&event.event).map(|t| (t, event.occurred_at));
                continue;
            }
            CouponEvent::CouponDisabled {} => {
                patch.disabled = true;
                continue;
            }
            CouponEvent::CouponRedeemed {
                order_id,
                customer_id,
                discount,
                ..
            } => (
                order_id,
                redemption(customer_id, "active", Some(discount.amount_minor), None),
            ),
            CouponEvent::CouponRedemptionRefused {
                order_id,
                customer_id,
                reason,
            } => (
                order_id,
                redemption(customer_id, "refused", None, snake(reason)),
            ),
            CouponEvent::CouponRedemptionReleased {
                order_id,
                customer_id,
            } => (order_id, redemption(customer_id, "released", None, None)),
        };
        // A release keeps the discount its redemption granted, whether the redemption came in
        // this batch or an earlier one (the upsert does the same with the stored row), so the
        // row does not depend on where batches happen to split.
        let key = (code, *order_id);
        let discount_minor = redemption.discount_minor.or_else(|| {
            fold.redemptions
                .get(&key)
                .and_then(|earlier| earlier.discount_minor)
        });
        fold.redemptions.insert(
            key,
            Redemption {
                discount_minor,
                ..redemption
            },
        );
    }
    fold
}

const INSERT_COUPONS: &str = "
    INSERT INTO coupons (code, kind, value, currency, min_order_minor, valid_from, valid_until,
                         global_limit, per_customer_limit, active, created_at, updated_at,
                         stream_version)
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[],
                         $6::timestamptz[], $7::timestamptz[], $8::int[], $9::int[],
                         $10::boolean[], $11::timestamptz[], $12::timestamptz[], $13::bigint[])";

const UPDATE_COUPONS: &str = "
    UPDATE coupons AS c SET
        active = c.active AND NOT p.disabled,
        updated_at = p.updated_at,
        stream_version = p.stream_version
    FROM UNNEST($1::text[], $2::boolean[], $3::timestamptz[], $4::bigint[])
         AS p(code, disabled, updated_at, stream_version)
    WHERE c.code = p.code";

const UPSERT_REDEMPTIONS: &str = "
    INSERT INTO coupon_redemptions (code, order_id, customer_id, status, discount_minor, reason,
                                    updated_at)
    SELECT * FROM UNNEST($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[],
                         $6::text[], $7::timestamptz[])
    ON CONFLICT (code, order_id) DO UPDATE SET
        status = EXCLUDED.status,
        discount_minor = COALESCE(EXCLUDED.discount_minor, coupon_redemptions.discount_minor),
        reason = EXCLUDED.reason,
        updated_at = EXCLUDED.updated_at";

const RECOUNT: &str = "
    UPDATE coupons AS c SET redemptions = (
        SELECT count(*) FROM coupon_redemptions AS r
        WHERE r.code = c.code AND r.status = 'active')
    WHERE c.code = ANY($1)";

async fn insert_created(
    conn: &mut PgConnection,
    created: Vec<(String, Terms, Patch)>,
) -> Result<(), sqlx::Error> {
    if created.is_empty() {
        return Ok(());
    }
    let (mut code, mut kind, mut value, mut currency) = (vec![], vec![], vec![], vec![]);
    let (mut min_order, mut from, mut until) = (vec![], vec![], vec![]);
    let (mut global, mut per_customer, mut active) = (vec![], vec![], vec![]);
    let (mut created_at, mut updated_at, mut version) = (vec![], vec![], vec![]);
    for (c, terms, patch) in created {
        code.push(c);
        kind.push(terms.kind.to_string());
        value.push(terms.value);
        currency.push(terms.currency);
        min_order.push(terms.min_order_minor);
        from.push(terms.valid_from);
        until.push(terms.valid_until);
        global.push(terms.global_limit);
        per_customer.push(terms.per_customer_limit);
        active.push(!patch.disabled);
        created_at.push(patch.created.map(|(_, at)| at).unwrap_or(patch.updated_at));
        updated_at.push(patch.updated_at);
        version.push(patch.stream_version);
    }
    sqlx::query(INSERT_COUPONS)
        .bind(&code)
        .bind(&kind)
        .bind(&value)
        .bind(&currency)
        .bind(&min_order)
        .bind(&from)
        .bind(&until)
        .bind(&global)
        .bind(&per_customer)
        .bind(&active)
        .bind(&created_at)
        .bind(&updated_at)
        .bind(&version)
        .execute(conn)
        .await?;
    Ok(())
}

async fn update_others(
    conn: &mut PgConnection,
    others: Vec<(String, Patch)>,
) -> Result<(), sqlx::Error> {
    if others.is_empty() {
        return Ok(());
    }
    let (mut code, mut disabled, mut updated_at, mut version) = (vec![], vec![], vec![], vec![]);
    for (c, patch) in others {
        code.push(c);
        disabled.push(patch.disabled);
        updated_at.push(patch.updated_at);
        version.push(patch.stream_version);
    }
    sqlx::query(UPDATE_COUPONS)
        .bind(&code)
        .bind(&disabled)
        .bind(&updated_at)
        .bind(&version)
        .execute(conn)
        .await?;
    Ok(())
}

async fn upsert_redemptions(
    conn: &mut PgConnection,
    redemptions: BTreeMap<(String, Uuid), Redemption>,
) -> Result<(), sqlx::Error> {
    if redemptions.is_empty() {
        return Ok(());
    }
    let (mut code, mut order_id, mut customer_id) = (vec![], vec![], vec![]);
    let (mut status, mut discount, mut reason, mut updated_at) = (vec![], vec![], vec![], vec![]);
    for ((c, order), r) in redemptions {
        code.push(c);
        order_id.push(order);
        customer_id.push(r.customer_id);
        status.push(r.status.to_string());
        discount.push(r.discount_minor);
        reason.push(r.reason);
        updated_at.push(r.updated_at);
    }
    sqlx::query(UPSERT_REDEMPTIONS)
        .bind(&code)
        .bind(&order_id)
        .bind(&customer_id)
        .bind(&status)
        .bind(&discount)
        .bind(&reason)
        .bind(&updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

impl ReadModel for Coupons {
    const NAME: &'static str = NAME;
    type Aggregate = Coupon;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<Coupon>],
    ) -> Result<(), sqlx::Error> {
        let fold = fold(events);
        let mut recount: Vec<String> = fold.redemptions.keys().map(|(c, _)| c.clone()).collect();
        recount.dedup();
        let mut created = Vec::new();
        let mut others = Vec::new();
        for (code, patch) in fold.coupons {
            match patch.created.clone() {
                Some((terms, _)) => created.push((code, terms, patch)),
                None => others.push((code, patch)),
            }
        }
        insert_created(&mut *conn, created).await?;
        update_others(&mut *conn, others).await?;
        upsert_redemptions(&mut *conn, fold.redemptions).await?;
        if !recount.is_empty() {
            sqlx::query(RECOUNT)
                .bind(&recount)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoded;
    use domain::values::{CouponCode, Currency, Money};

    fn eur(amount_minor: i64) -> Money {
        Money {
            amount_minor,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    fn at(version: i64, event: CouponEvent) -> EventsOf<Coupon> {
        Decoded {
            partition: 0,
            offset: version,
            event_id: Uuid::now_v7(),
            stream: "coupon-SAVE-10".into(),
            version,
            occurred_at: DateTime::from_timestamp(1_700_000_000 + version, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn the_last_event_of_each_order_decides_its_redemption() {
        let (order, customer) = (Uuid::now_v7(), Uuid::now_v7());
        let events = vec![
            at(
                1,
                CouponEvent::CouponCreated {
                    code: CouponCode::parse("SAVE-10").unwrap(),
                    discount: Discount::Percentage { basis_points: 1000 },
                    min_order_value: Some(eur(2_000)),
                    valid_from: DateTime::from_timestamp(1_600_000_000, 0).unwrap(),
                    valid_until: DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
                    global_limit: Some(100),
                    per_customer_limit: None,
                },
            ),
            at(
                2,
                CouponEvent::CouponRedeemed {
                    order_id: order,
                    customer_id: customer,
                    subtotal: eur(5_000),
                    discount: eur(500),
                },
            ),
            at(
                3,
                CouponEvent::CouponRedemptionReleased {
                    order_id: order,
                    customer_id: customer,
                },
            ),
            at(4, CouponEvent::CouponDisabled {}),
        ];
        let fold = fold(&events);
        let patch = &fold.coupons["SAVE-10"];
        let (terms, created_at) = patch.created.clone().unwrap();
        assert_eq!(
            (terms.kind, terms.value, terms.currency.as_deref()),
            ("percentage", 1000, Some("EUR"))
        );
        assert_eq!(terms.min_order_minor, Some(2_000));
        assert_eq!(created_at, events[0].occurred_at);
        assert!(patch.disabled);
        assert_eq!(patch.stream_version, 4);
        let redemption = &fold.redemptions[&("SAVE-10".to_string(), order)];
        assert_eq!(redemption.status, "released");
        assert_eq!(
            redemption.discount_minor,
            Some(500),
            "as if the release had come in a later batch"
        );
        assert_eq!(redemption.updated_at, events[2].occurred_at);
    }
}
