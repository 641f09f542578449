//! Facet counts of a product listing and the category counts behind the category tree.

use sqlx::{FromRow, QueryBuilder};

use super::{Store, products::ProductFilter};
use crate::error::QueryError;

/// Upper bounds (exclusive, minor units) of the price buckets; the last bucket is open.
pub const PRICE_BOUNDS: [i64; 4] = [1_000, 2_500, 5_000, 10_000];

/// One facet count: how many listed products have `key` (= `value` for attributes).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FacetRow {
    /// `category`, `brand`, `attribute` or `price`.
    pub facet: String,
    /// Category, brand or attribute name; the currency for prices.
    pub key: String,
    /// Attribute value; empty otherwise.
    pub value: String,
    /// Price bucket index into [`PRICE_BOUNDS`] (0: below the first bound); 0 otherwise.
    pub bucket: i32,
    /// Products counted.
    pub count: i64,
}

impl Store {
    /// Every facet count of the products `filter` matches, in one statement. Attributes count a
    /// product once per value found on it or on any of its active variants; prices count a
    /// product in the bucket of its lowest active price.
    pub async fn product_facets(
        &self,
        filter: &ProductFilter,
    ) -> Result<Vec<FacetRow>, QueryError> {
        let mut sql = QueryBuilder::new(
            "WITH matched AS (SELECT product_id, category, brand, attributes, currency, \
             min_price_minor",
        );
        filter.push_from_where(&mut sql);
        sql.push(
            ") SELECT 'category' AS facet, category AS key, '' AS value, 0 AS bucket, \
                 count(*) AS count FROM matched WHERE category <> '' GROUP BY category \
             UNION ALL SELECT 'brand', brand, '', 0, count(*) FROM matched \
                 WHERE brand <> '' GROUP BY brand \
             UNION ALL SELECT 'attribute', a.key, a.value, 0, count(DISTINCT m.product_id) \
                 FROM matched m CROSS JOIN LATERAL ( \
                     SELECT key, value FROM jsonb_each_text(m.attributes) \
                     UNION SELECT e.key, e.value FROM catalog_variants v \
                         CROSS JOIN LATERAL jsonb_each_text(v.attributes) AS e \
                         WHERE v.product_id = m.product_id AND NOT v.retired \
                 ) AS a GROUP BY a.key, a.value \
             UNION ALL SELECT 'price', currency, '', width_bucket(min_price_minor, ",
        );
        sql.push_bind(PRICE_BOUNDS.to_vec()).push(
            "::bigint[]), count(*) FROM matched WHERE min_price_minor IS NOT NULL \
                 GROUP BY currency, 4 \
             ORDER BY 1, 2, 3, 4",
        );
        let rows = sql
            .build_query_as::<FacetRow>()
            .fetch_all(self.counted())
            .await?;
        Ok(rows)
    }

    /// Products per category (non-empty categories only) among `statuses`.
    pub async fn category_counts(
        &self,
        statuses: &[String],
    ) -> Result<Vec<(String, i64)>, QueryError> {
        let rows = sqlx::query_as::<_, (String, i64)>(
            "SELECT category, count(*) FROM catalog_products
             WHERE status = ANY($1) AND category <> '' GROUP BY category ORDER BY category",
        )
        .bind(statuses)
        .fetch_all(self.counted())
        .await?;
        Ok(rows)
    }
}
