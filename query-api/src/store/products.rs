//! Products and variants from `catalog_products` and `catalog_variants`.

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

/// A product row of a listing, with its full-text rank (0 without search).
#[derive(Debug, Clone, FromRow)]
pub struct RankedProductRow {
    /// The product.
    #[sqlx(flatten)]
    pub product: ProductRow,
    /// `ts_rank` against the search, as Postgres computed it (`real`).
    pub rank: f32,
}

impl RankedProductRow {
    /// Where this row sits in the listing's order, for a cursor.
    pub fn key(&self, searched: bool) -> ProductKey {
        ProductKey {
            rank: searched.then_some(self.rank),
            name: self.product.name.clone(),
            id: self.product.product_id,
        }
    }
}

/// A position in a product listing: listings are ordered by rank (only when searching), then
/// name, then id, so every position is unique and stable while rows are added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductKey {
    /// Search rank, present exactly when the listing searches.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<f32>,
    /// Product name.
    #[serde(rename = "n")]
    pub name: String,
    /// Product id, the tie-breaker.
    #[serde(rename = "i")]
    pub id: Uuid,
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
}

impl ProductFilter {
    /// Whether the listing is ordered by search rank.
    pub fn searches(&self) -> bool {
        self.search.is_some()
    }

    /// `FROM … WHERE …` of the listing; the search configuration must match the projector's
    /// `search` column ('english').
    fn push_from_where<'q>(&'q self, sql: &mut QueryBuilder<'q, Postgres>) {
        sql.push(" FROM catalog_products WHERE status = ANY(")
            .push_bind(&self.statuses)
            .push(")");
        if let Some(category) = &self.category {
            sql.push(" AND category = ").push_bind(category);
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
    /// Up to `limit` products of `filter` after `after`, in listing order.
    pub async fn product_page(
        &self,
        filter: &ProductFilter,
        after: Option<&ProductKey>,
        limit: usize,
    ) -> Result<Vec<RankedProductRow>, QueryError> {
        let mut sql = QueryBuilder::new("SELECT ");
        sql.push(PRODUCT_COLUMNS).push(", rank FROM (SELECT ");
        sql.push(PRODUCT_COLUMNS).push(", ");
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
            if let Some(rank) = key.rank.filter(|_| filter.searches()) {
                // Rank descends, so "after" means a lower rank or the same rank and later name.
                sql.push("(p.rank < ")
                    .push_bind(rank)
                    .push(" OR (p.rank = ")
                    .push_bind(rank)
                    .push(" AND ");
            } else {
                sql.push("((");
            }
            sql.push("(p.name, p.product_id) > (")
                .push_bind(&key.name)
                .push(", ")
                .push_bind(key.id)
                .push(")))");
        }
        sql.push(" ORDER BY ");
        if filter.searches() {
            sql.push("p.rank DESC, ");
        }
        sql.push("p.name, p.product_id LIMIT ")
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
