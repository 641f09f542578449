//! Products and variants from `catalog_products` and `catalog_variants`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, Postgres, QueryBuilder};
use uuid::Uuid;

use super::Store;
use crate::error::QueryError;

/// Columns of a product row every resolver may need.
const PRODUCT_COLUMNS: &str = "product_id, slug, name, description, category, brand, attributes, \
     status, currency, min_price_minor, max_price_minor";

/// One row of `catalog_products`.
#[derive(Debug, Clone, FromRow)]
pub struct ProductRow {
    /// Product id.
    pub product_id: Uuid,
    /// Unique URL name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Long description ('' when none).
    pub description: String,
    /// Category ('' when none).
    pub category: String,
    /// Brand ('' when none).
    pub brand: String,
    /// Attributes, an object of strings such as `{"material": "wool"}`.
    pub attributes: serde_json::Value,
    /// `draft`, `published` or `deleted`.
    pub status: String,
    /// Currency of the active variants; `None` when there are none.
    pub currency: Option<String>,
    /// Lowest active variant price in minor units.
    pub min_price_minor: Option<i64>,
    /// Highest active variant price in minor units.
    pub max_price_minor: Option<i64>,
}

/// A product row of a listing, with the values it is ordered by.
#[derive(Debug, Clone, FromRow)]
pub struct RankedProductRow {
    /// The product.
    #[sqlx(flatten)]
    pub product: ProductRow,
    /// `ts_rank` against the search, as Postgres computed it (`real`); 0 without search.
    pub rank: f32,
    /// Lowest active price, or a sentinel that sorts products without one last.
    pub sort_price: i64,
    /// When the product was created.
    pub created_at: DateTime<Utc>,
}

impl RankedProductRow {
    /// Where this row sits in a listing in `order`, for a cursor.
    pub fn key(&self, order: ProductOrder) -> ProductKey {
        ProductKey {
            order: order.cursor_tag().map(str::to_string),
            rank: (order == ProductOrder::Relevance).then_some(self.rank),
            name: self.product.name.clone(),
            id: self.product.product_id,
            price: matches!(order, ProductOrder::PriceAsc | ProductOrder::PriceDesc)
                .then_some(self.sort_price),
            created: (order == ProductOrder::Newest).then_some(self.created_at),
        }
    }
}

/// How a listing is ordered; every order ends in the product id, so positions are unique.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductOrder {
    /// Search rank (descending), then name.
    Relevance,
    /// Name.
    #[default]
    Name,
    /// Lowest active price, cheapest first; products without a price last.
    PriceAsc,
    /// Lowest active price, dearest first; products without a price last.
    PriceDesc,
    /// Creation time, newest first.
    Newest,
}

impl ProductOrder {
    /// The tag a cursor of this order carries. Name and relevance cursors carry none, so
    /// cursors handed out before sorting existed stay valid.
    fn cursor_tag(self) -> Option<&'static str> {
        match self {
            Self::Relevance | Self::Name => None,
            Self::PriceAsc => Some("pa"),
            Self::PriceDesc => Some("pd"),
            Self::Newest => Some("new"),
        }
    }

    /// Price that sorts products without an active variant last in this order.
    fn missing_price(self) -> i64 {
        match self {
            Self::PriceDesc => -1,
            _ => i64::MAX,
        }
    }
}

/// A position in a product listing (see [`ProductOrder`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductKey {
    /// The order the cursor was made for (absent: by name, or by relevance).
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// Search rank, present exactly when the listing is by relevance.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<f32>,
    /// Product name.
    #[serde(rename = "n")]
    pub name: String,
    /// Product id, the tie-breaker.
    #[serde(rename = "i")]
    pub id: Uuid,
    /// Sort price, present exactly in price orders.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// Creation time, present exactly in the newest-first order.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
}

impl ProductKey {
    /// Whether this cursor was made for a listing in `order`.
    pub fn fits(&self, order: ProductOrder) -> bool {
        self.order.as_deref() == order.cursor_tag()
            && self.rank.is_some() == (order == ProductOrder::Relevance)
            && self.price.is_some()
                == matches!(order, ProductOrder::PriceAsc | ProductOrder::PriceDesc)
            && self.created.is_some() == (order == ProductOrder::Newest)
    }
}

/// Which products a listing shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductFilter {
    /// Statuses shown (`published`, …); never empty in practice.
    pub statuses: Vec<String>,
    /// Exact category.
    pub category: Option<String>,
    /// Exact brand.
    pub brand: Option<String>,
    /// Web-search syntax (`wool -cotton "red scarf"`), matched against the `search` document.
    pub search: Option<String>,
    /// Attribute name and accepted values; the product or one of its active variants must
    /// have one of the values. All attributes listed must match.
    pub attributes: Vec<(String, Vec<String>)>,
    /// Some active variant costs at least this much (minor units).
    pub min_price_minor: Option<i64>,
    /// Some active variant costs at most this much (minor units).
    pub max_price_minor: Option<i64>,
    /// Some active variant has stock available.
    pub in_stock: bool,
}

impl ProductFilter {
    /// Whether the listing searches (and so can be ordered by rank).
    pub fn searches(&self) -> bool {
        self.search.is_some()
    }

    /// `FROM … WHERE …` of the listing; the search configuration must match the projector's
    /// `search` column ('english').
    pub(super) fn push_from_where<'q>(&'q self, sql: &mut QueryBuilder<'q, Postgres>) {
        sql.push(" FROM catalog_products WHERE status = ANY(")
            .push_bind(&self.statuses)
            .push(")");
        if let Some(category) = &self.category {
            // Categories are paths (`shoes/trail`): a category includes its subcategories.
            sql.push(" AND (category = ")
                .push_bind(category)
                .push(" OR starts_with(category, ")
                .push_bind(category)
                .push(" || '/'))");
        }
        for (name, values) in &self.attributes {
            sql.push(" AND (attributes ->> ")
                .push_bind(name)
                .push(" = ANY(")
                .push_bind(values)
                .push(") OR EXISTS (SELECT 1 FROM catalog_variants v")
                .push(" WHERE v.product_id = catalog_products.product_id AND NOT v.retired")
                .push(" AND v.attributes ->> ")
                .push_bind(name)
                .push(" = ANY(")
                .push_bind(values)
                .push(")))");
        }
        if self.min_price_minor.is_some() || self.max_price_minor.is_some() {
            sql.push(" AND EXISTS (SELECT 1 FROM catalog_variants v")
                .push(" WHERE v.product_id = catalog_products.product_id AND NOT v.retired");
            if let Some(min) = self.min_price_minor {
                sql.push(" AND v.price_minor >= ").push_bind(min);
            }
            if let Some(max) = self.max_price_minor {
                sql.push(" AND v.price_minor <= ").push_bind(max);
            }
            sql.push(")");
        }
        if self.in_stock {
            sql.push(" AND EXISTS (SELECT 1 FROM catalog_variants v")
                .push(" JOIN inventory_items i ON i.sku = v.sku")
                .push(" WHERE v.product_id = catalog_products.product_id AND NOT v.retired")
                .push(" AND i.available > 0)");
        }
        if let Some(brand) = &self.brand {
            sql.push(" AND brand = ").push_bind(brand);
        }
        if let Some(search) = &self.search {
            sql.push(" AND search @@ websearch_to_tsquery('english', ")
                .push_bind(search)
                .push(")");
        }
    }
}

/// One row of `catalog_variants`.
#[derive(Debug, Clone, FromRow)]
pub struct VariantRow {
    /// Stock-keeping unit, unique across products.
    pub sku: String,
    /// Product the variant belongs to.
    pub product_id: Uuid,
    /// Display name.
    pub name: String,
    /// Price in minor units.
    pub price_minor: i64,
    /// ISO currency code.
    pub currency: String,
    /// Attributes such as `{"size": "M"}`.
    pub attributes: serde_json::Value,
    /// Retired variants are no longer sold.
    pub retired: bool,
    /// Order in which variants were added.
    pub position: i32,
}

impl Store {
    /// Up to `limit` products of `filter` after `after`, in `order`. `Relevance` needs a
    /// search (the caller checks).
    pub async fn product_page(
        &self,
        filter: &ProductFilter,
        order: ProductOrder,
        after: Option<&ProductKey>,
        limit: usize,
    ) -> Result<Vec<RankedProductRow>, QueryError> {
        let mut sql = QueryBuilder::new("SELECT ");
        sql.push(PRODUCT_COLUMNS)
            .push(", rank, sort_price, created_at FROM (SELECT ");
        sql.push(PRODUCT_COLUMNS)
            .push(", created_at, COALESCE(min_price_minor, ")
            .push_bind(order.missing_price())
            .push(") AS sort_price, ");
        match &filter.search {
            Some(search) => {
                sql.push("ts_rank(search, websearch_to_tsquery('english', ")
                    .push_bind(search)
                    .push("))");
            }
            None => {
                sql.push("0::real");
            }
        }
        sql.push(" AS rank");
        filter.push_from_where(&mut sql);
        sql.push(") p");
        if let Some(key) = after {
            sql.push(" WHERE ");
            push_after(&mut sql, order, key);
        }
        sql.push(match order {
            ProductOrder::Relevance => " ORDER BY p.rank DESC, p.name, p.product_id",
            ProductOrder::Name => " ORDER BY p.name, p.product_id",
            ProductOrder::PriceAsc => " ORDER BY p.sort_price, p.name, p.product_id",
            ProductOrder::PriceDesc => " ORDER BY p.sort_price DESC, p.name, p.product_id",
            ProductOrder::Newest => " ORDER BY p.created_at DESC, p.product_id DESC",
        });
        sql.push(" LIMIT ")
            .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = sql
            .build_query_as::<RankedProductRow>()
            .fetch_all(self.counted())
            .await?;
        Ok(rows)
    }

    /// How many products `filter` matches.
    pub async fn count_products(&self, filter: &ProductFilter) -> Result<i64, QueryError> {
        let mut sql = QueryBuilder::new("SELECT count(*)");
        filter.push_from_where(&mut sql);
        let count = sql
            .build_query_scalar::<i64>()
            .fetch_one(self.counted())
            .await?;
        Ok(count)
    }

    /// The products with these ids and one of `statuses`, in no particular order.
    pub async fn products_by_ids(
        &self,
        ids: &[Uuid],
        statuses: &[String],
    ) -> Result<Vec<ProductRow>, QueryError> {
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM catalog_products \
             WHERE product_id = ANY($1) AND status = ANY($2)"
        );
        let rows = sqlx::query_as::<_, ProductRow>(&sql)
            .bind(ids)
            .bind(statuses)
            .fetch_all(self.counted())
            .await?;
        Ok(rows)
    }

    /// The product with this slug, if it has one of `statuses`.
    pub async fn product_by_slug(
        &self,
        slug: &str,
        statuses: &[String],
    ) -> Result<Option<ProductRow>, QueryError> {
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM catalog_products WHERE slug = $1 AND status = ANY($2)"
        );
        let row = sqlx::query_as::<_, ProductRow>(&sql)
            .bind(slug)
            .bind(statuses)
            .fetch_optional(self.counted())
            .await?;
        Ok(row)
    }

    /// Every variant of these products, by product then position.
    pub async fn variants_of(&self, product_ids: &[Uuid]) -> Result<Vec<VariantRow>, QueryError> {
        let rows = sqlx::query_as::<_, VariantRow>(
            "SELECT sku, product_id, name, price_minor, currency, attributes, retired, position \
             FROM catalog_variants WHERE product_id = ANY($1) \
             ORDER BY product_id, position, sku",
        )
        .bind(product_ids)
        .fetch_all(self.counted())
        .await?;
        Ok(rows)
    }
}

/// `WHERE` condition of the rows after `key` in `order` (keyset pagination). A key missing the
/// value `order` needs compares as the lowest position (the caller has checked it fits).
fn push_after<'q>(sql: &mut QueryBuilder<'q, Postgres>, order: ProductOrder, key: &'q ProductKey) {
    let name_then_id = |sql: &mut QueryBuilder<'q, Postgres>| {
        sql.push("(p.name, p.product_id) > (")
            .push_bind(&key.name)
            .push(", ")
            .push_bind(key.id)
            .push(")");
    };
    match order {
        ProductOrder::Name => name_then_id(sql),
        ProductOrder::Relevance => {
            // Rank descends, so "after" means a lower rank or the same rank and later name.
            let rank = key.rank.unwrap_or(f32::MAX);
            sql.push("(p.rank < ")
                .push_bind(rank)
                .push(" OR (p.rank = ")
                .push_bind(rank)
                .push(" AND ");
            name_then_id(sql);
            sql.push("))");
        }
        ProductOrder::PriceAsc => {
            let price = key.price.unwrap_or(i64::MIN);
            sql.push("(p.sort_price > ")
                .push_bind(price)
                .push(" OR (p.sort_price = ")
                .push_bind(price)
                .push(" AND ");
            name_then_id(sql);
            sql.push("))");
        }
        ProductOrder::PriceDesc => {
            let price = key.price.unwrap_or(i64::MAX);
            sql.push("(p.sort_price < ")
                .push_bind(price)
                .push(" OR (p.sort_price = ")
                .push_bind(price)
                .push(" AND ");
            name_then_id(sql);
            sql.push("))");
        }
        ProductOrder::Newest => {
            sql.push("(p.created_at, p.product_id) < (")
                .push_bind(key.created)
                .push(", ")
                .push_bind(key.id)
                .push(")");
        }
    }
}
