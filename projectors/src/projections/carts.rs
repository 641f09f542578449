//! Carts: `carts` and `cart_lines` from cart events.
//!
//! A batch loads the rows and lines of the carts it touches (two queries), folds the events into
//! them in memory, upserts the cart rows, and replaces the lines of every touched cart (one
//! delete, one insert). Line events carry the quantity and price after them, so folding is
//! a matter of keeping the last figures per SKU.

use std::collections::{BTreeMap, HashMap, btree_map::Entry};

use chrono::{DateTime, Utc};
use domain::cart::{Cart, CartEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read_model::{EventsOf, ReadModel};

/// Checkpoint name.
pub const NAME: &str = "carts";

/// The carts read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Carts;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Row {
    cart_id: Uuid,
    customer_id: Option<Uuid>,
    coupon_code: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    stream_version: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct LineRow {
    cart_id: Uuid,
    sku: String,
    product_id: Uuid,
    quantity: i32,
    unit_price_minor: i64,
    currency: String,
}

/// A cart being folded, with its lines by SKU.
#[derive(Debug, Clone, PartialEq)]
struct Folded {
    row: Row,
    lines: BTreeMap<String, LineRow>,
}

fn quantity(value: u32) -> i32 {
    // The domain caps a line at 999 units.
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Cart ids the batch touches without creating them.
fn existing_ids(events: &[EventsOf<Cart>]) -> Vec<Uuid> {
    let mut created = Vec::new();
    let mut ids = Vec::new();
    for event in events {
        let Ok(id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if matches!(event.event, CartEvent::CartCreated { .. }) {
            created.push(id);
        } else if !created.contains(&id) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn fold(mut carts: HashMap<Uuid, Folded>, events: &[EventsOf<Cart>]) -> BTreeMap<Uuid, Folded> {
    let mut touched: BTreeMap<Uuid, Folded> = BTreeMap::new();
    for event in events {
        let Ok(cart_id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if let CartEvent::CartCreated { customer_id, .. } = &event.event {
            touched.insert(
                cart_id,
                Folded {
                    row: Row {
                        cart_id,
                        customer_id: *customer_id,
                        coupon_code: None,
                        created_at: event.occurred_at,
                        updated_at: event.occurred_at,
                        stream_version: event.version,
                    },
                    lines: BTreeMap::new(),
                },
            );
            continue;
        }
        let cart = match touched.entry(cart_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => match carts.remove(&cart_id) {
                Some(loaded) => entry.insert(loaded),
                None => {
                    tracing::warn!(projection = NAME, stream = %event.stream, version = event.version, "event for a cart never created; skipped");
                    continue;
                }
            },
        };
        cart.row.updated_at = event.occurred_at;
        cart.row.stream_version = event.version;
        match &event.event {
            CartEvent::CartCreated { .. } => {}
            CartEvent::CartLineAdded {
                sku,
                product_id,
                quantity: after,
                unit_price,
                ..
            } => {
                cart.lines.insert(
                    sku.as_str().to_string(),
                    LineRow {
                        cart_id,
                        sku: sku.as_str().to_string(),
                        product_id: *product_id,
                        quantity: quantity(*after),
                        unit_price_minor: unit_price.amount_minor,
                        currency: unit_price.currency.as_str().to_string(),
                    },
                );
            }
            CartEvent::CartLineQuantityChanged {
                sku,
                quantity: after,
            } => {
                if let Some(line) = cart.lines.get_mut(sku.as_str()) {
                    line.quantity = quantity(*after);
                }
            }
            CartEvent::CartLineRemoved { sku } => {
                cart.lines.remove(sku.as_str());
            }
            CartEvent::CouponApplied { code } => {
                cart.row.coupon_code = Some(code.as_str().to_string());
            }
            CartEvent::CouponRemoved {} => cart.row.coupon_code = None,
            CartEvent::CartMerged { lines, .. } => {
                for line in lines {
                    cart.lines.insert(
                        line.sku.as_str().to_string(),
                        LineRow {
                            cart_id,
                            sku: line.sku.as_str().to_string(),
                            product_id: line.product_id,
                            quantity: quantity(line.quantity),
                            unit_price_minor: line.unit_price.amount_minor,
                            currency: line.unit_price.currency.as_str().to_string(),
                        },
                    );
                }
            }
            CartEvent::CartCleared {} => {
                cart.lines.clear();
                cart.row.coupon_code = None;
            }
        }
    }
    touched
}

const LOAD_CARTS: &str = "
    SELECT cart_id, customer_id, coupon_code, created_at, updated_at, stream_version
    FROM carts WHERE cart_id = ANY($1)";

const LOAD_LINES: &str = "
    SELECT cart_id, sku, product_id, quantity, unit_price_minor, currency
    FROM cart_lines WHERE cart_id = ANY($1)";

const UPSERT_CARTS: &str = "
    INSERT INTO carts (cart_id, customer_id, coupon_code, created_at, updated_at, stream_version)
    SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],
                         $5::timestamptz[], $6::bigint[])
    ON CONFLICT (cart_id) DO UPDATE SET
        customer_id = EXCLUDED.customer_id,
        coupon_code = EXCLUDED.coupon_code,
        updated_at = EXCLUDED.updated_at,
        stream_version = EXCLUDED.stream_version";

const INSERT_LINES: &str = "
    INSERT INTO cart_lines (cart_id, sku, product_id, quantity, unit_price_minor, currency)
    SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::bigint[], $6::text[])";

async fn load(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Folded>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Row> = sqlx::query_as(LOAD_CARTS)
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    let lines: Vec<LineRow> = sqlx::query_as(LOAD_LINES)
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    let mut carts: HashMap<Uuid, Folded> = rows
        .into_iter()
        .map(|row| {
            (
                row.cart_id,
                Folded {
                    row,
                    lines: BTreeMap::new(),
                },
            )
        })
        .collect();
    for line in lines {
        if let Some(cart) = carts.get_mut(&line.cart_id) {
            cart.lines.insert(line.sku.clone(), line);
        }
    }
    Ok(carts)
}

impl ReadModel for Carts {
    const NAME: &'static str = NAME;
    type Aggregate = Cart;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<Cart>],
    ) -> Result<(), sqlx::Error> {
        let carts = load(&mut *conn, &existing_ids(events)).await?;
        let touched = fold(carts, events);
        if touched.is_empty() {
            return Ok(());
        }
        let (mut cart_id, mut customer_id, mut coupon_code) = (vec![], vec![], vec![]);
        let (mut created_at, mut updated_at, mut stream_version) = (vec![], vec![], vec![]);
        let (mut line_cart, mut sku, mut product_id) = (vec![], vec![], vec![]);
        let (mut quantity, mut unit_price_minor, mut currency) = (vec![], vec![], vec![]);
        for cart in touched.into_values() {
            cart_id.push(cart.row.cart_id);
            customer_id.push(cart.row.customer_id);
            coupon_code.push(cart.row.coupon_code);
            created_at.push(cart.row.created_at);
            updated_at.push(cart.row.updated_at);
            stream_version.push(cart.row.stream_version);
            for line in cart.lines.into_values() {
                line_cart.push(line.cart_id);
                sku.push(line.sku);
                product_id.push(line.product_id);
                quantity.push(line.quantity);
                unit_price_minor.push(line.unit_price_minor);
                currency.push(line.currency);
            }
        }
        sqlx::query(UPSERT_CARTS)
            .bind(&cart_id)
            .bind(&customer_id)
            .bind(&coupon_code)
            .bind(&created_at)
            .bind(&updated_at)
            .bind(&stream_version)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM cart_lines WHERE cart_id = ANY($1)")
            .bind(&cart_id)
            .execute(&mut *conn)
            .await?;
        if line_cart.is_empty() {
            return Ok(());
        }
        sqlx::query(INSERT_LINES)
            .bind(&line_cart)
            .bind(&sku)
            .bind(&product_id)
            .bind(&quantity)
            .bind(&unit_price_minor)
            .bind(&currency)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoded;
    use domain::{
        cart::CartLine,
        values::{CouponCode, Currency, Money, Sku},
    };

    fn eur(amount_minor: i64) -> Money {
        Money {
            amount_minor,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    fn at(id: Uuid, version: i64, event: CartEvent) -> EventsOf<Cart> {
        Decoded {
            partition: 0,
            offset: version,
            event_id: Uuid::now_v7(),
            stream: format!("cart-{id}"),
            version,
            occurred_at: DateTime::from_timestamp(1_700_000_000 + version, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn lines_keep_the_last_figures_and_a_clear_empties_the_cart() {
        let (id, product) = (Uuid::now_v7(), Uuid::now_v7());
        let sku = Sku::parse("TEE-M").unwrap();
        let added = |version, quantity| {
            at(
                id,
                version,
                CartEvent::CartLineAdded {
                    sku: sku.clone(),
                    product_id: product,
                    added: 1,
                    quantity,
                    unit_price: eur(1_500),
                },
            )
        };
        let events = vec![
            at(
                id,
                1,
                CartEvent::CartCreated {
                    cart_id: id,
                    customer_id: None,
                },
            ),
            added(2, 1),
            added(3, 2),
            at(
                id,
                4,
                CartEvent::CouponApplied {
                    code: CouponCode::parse("SAVE10").unwrap(),
                },
            ),
            at(
                id,
                5,
                CartEvent::CartMerged {
                    source_cart_id: Uuid::now_v7(),
                    lines: vec![CartLine {
                        sku: Sku::parse("CAP-1").unwrap(),
                        product_id: product,
                        quantity: 3,
                        unit_price: eur(900),
                    }],
                },
            ),
        ];
        assert!(existing_ids(&events).is_empty());
        let cart = fold(HashMap::new(), &events).remove(&id).unwrap();
        assert_eq!(cart.row.coupon_code.as_deref(), Some("SAVE10"));
        let lines: Vec<(&str, i32, i64)> = cart
            .lines
            .values()
            .map(|l| (l.sku.as_str(), l.quantity, l.unit_price_minor))
            .collect();
        assert_eq!(lines, vec![("CAP-1", 3, 900), ("TEE-M", 2, 1_500)]);

        let cleared = vec![at(id, 6, CartEvent::CartCleared {})];
        assert_eq!(existing_ids(&cleared), vec![id]);
        let cart = fold(HashMap::from([(id, cart)]), &cleared)
            .remove(&id)
            .unwrap();
        assert!(cart.lines.is_empty());
        assert_eq!(cart.row.coupon_code, None);
        assert_eq!(cart.row.stream_version, 6);
    }
}
