//! Storefront filtering aids: the `ProductSort` order, attribute filters, and the facet counts
//! of a listing (`ProductConnection.facets`).
//!
//! Facets count the products the whole filter matches (not "what if this one filter were
//! dropped"), so they always add up to what the listing shows.

use std::collections::BTreeMap;

use async_graphql::{Enum, InputObject, SimpleObject};

use super::money::Money;
use crate::{
    error::QueryError,
    store::{
        facets::{FacetRow, PRICE_BOUNDS},
        products::ProductOrder,
    },
};

/// Orders of a product listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProductSort {
    /// Best search match first (needs `filter.search`; the default when searching).
    Relevance,
    /// By name (the default without search).
    Name,
    /// Cheapest first, by the lowest active price; products without a price last.
    PriceAsc,
    /// Dearest first, by the lowest active price; products without a price last.
    PriceDesc,
    /// Newest first.
    Newest,
}

impl ProductSort {
    /// The store's order for this sort, or the default for a listing that does or does not
    /// search. `RELEVANCE` without a search is `BAD_USER_INPUT`.
    pub fn order(sort: Option<Self>, searches: bool) -> Result<ProductOrder, QueryError> {
        Ok(match sort {
            None if searches => ProductOrder::Relevance,
            None | Some(Self::Name) => ProductOrder::Name,
            Some(Self::Relevance) if searches => ProductOrder::Relevance,
            Some(Self::Relevance) => {
                return Err(QueryError::BadUserInput(
                    "`sort: RELEVANCE` needs `filter.search`".to_string(),
                ));
            }
            Some(Self::PriceAsc) => ProductOrder::PriceAsc,
            Some(Self::PriceDesc) => ProductOrder::PriceDesc,
            Some(Self::Newest) => ProductOrder::Newest,
        })
    }
}

/// Products whose attribute `name` (on the product or an active variant) is one of `values`.
#[derive(Debug, Clone, InputObject)]
pub struct AttributeFilter {
    /// Attribute name, e.g. `size`.
    pub name: String,
    /// Accepted values, e.g. `["M", "L"]`; at least one.
    pub values: Vec<String>,
}

/// How many listed products share one value.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct FacetCount {
    /// The value (a category, brand or attribute value).
    pub value: String,
    /// Products with it.
    pub count: i64,
}

/// The values of one attribute among the listed products.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct AttributeFacet {
    /// Attribute name.
    pub name: String,
    /// Its values, by value.
    pub values: Vec<FacetCount>,
}

/// Listed products whose lowest active price lies in `[min, max)`.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct PriceBucket {
    /// Inclusive lower bound; null for the first bucket.
    pub min: Option<Money>,
    /// Exclusive upper bound; null for the last bucket.
    pub max: Option<Money>,
    /// Products in the bucket.
    pub count: i64,
}

/// Facet counts of a product listing; values without products are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, SimpleObject)]
pub struct ProductFacets {
    /// Products per category, by category.
    pub categories: Vec<FacetCount>,
    /// Products per brand, by brand.
    pub brands: Vec<FacetCount>,
    /// Products per attribute value, by attribute name.
    pub attributes: Vec<AttributeFacet>,
    /// Products per price bucket, cheapest first (per currency).
    pub prices: Vec<PriceBucket>,
}

impl ProductFacets {
    /// Groups the store's rows (sorted by facet, key, value, bucket).
    pub fn from_rows(rows: Vec<FacetRow>) -> Result<Self, QueryError> {
        let mut facets = Self::default();
        let mut attributes: BTreeMap<String, Vec<FacetCount>> = BTreeMap::new();
        for row in rows {
            match row.facet.as_str() {
                "category" => facets.categories.push(count(row.key, row.count)),
                "brand" => facets.brands.push(count(row.key, row.count)),
                "attribute" => attributes
                    .entry(row.key)
                    .or_default()
                    .push(count(row.value, row.count)),
                "price" => facets.prices.push(bucket(&row.key, row.bucket, row.count)?),
                other => return Err(QueryError::Corrupt(format!("facet {other:?}"))),
            }
        }
        facets.attributes = attributes
            .into_iter()
            .map(|(name, values)| AttributeFacet { name, values })
            .collect();
        Ok(facets)
    }
}

fn count(value: String, count: i64) -> FacetCount {
    FacetCount { value, count }
}

/// Bucket `index` of `width_bucket(price, PRICE_BOUNDS)`: 0 is below the first bound.
fn bucket(currency: &str, index: i32, count: i64) -> Result<PriceBucket, QueryError> {
    let index = usize::try_from(index)
        .ok()
        .filter(|i| *i <= PRICE_BOUNDS.len())
        .ok_or_else(|| QueryError::Corrupt(format!("price bucket {index}")))?;
    let bound = |i: usize| {
        PRICE_BOUNDS
            .get(i)
            .map(|minor| Money::new(*minor, currency))
    };
    Ok(PriceBucket {
        min: index.checked_sub(1).and_then(bound),
        max: bound(index),
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(facet: &str, key: &str, value: &str, bucket: i32, count: i64) -> FacetRow {
        FacetRow {
            facet: facet.to_string(),
            key: key.to_string(),
            value: value.to_string(),
            bucket,
            count,
        }
    }

    #[test]
    fn rows_are_grouped_into_facets_with_open_ended_price_buckets() {
        let facets = ProductFacets::from_rows(vec![
            row("attribute", "size", "M", 0, 3),
            row("attribute", "size", "S", 0, 1),
            row("brand", "Nordkap", "", 0, 2),
            row("price", "EUR", "", 0, 4),
            row("price", "EUR", "", 4, 1),
        ])
        .unwrap();
        assert_eq!(facets.brands, vec![count("Nordkap".into(), 2)]);
        assert_eq!(facets.attributes[0].name, "size");
        assert_eq!(facets.attributes[0].values.len(), 2);
        assert_eq!(facets.prices[0].min, None);
        assert_eq!(facets.prices[0].max, Some(Money::new(1_000, "EUR")));
        assert_eq!(facets.prices[1].min, Some(Money::new(10_000, "EUR")));
        assert_eq!(facets.prices[1].max, None);
        assert!(ProductFacets::from_rows(vec![row("price", "EUR", "", 9, 1)]).is_err());
    }

    #[test]
    fn relevance_needs_a_search_and_is_the_default_with_one() {
        assert_eq!(
            ProductSort::order(None, true).ok(),
            Some(ProductOrder::Relevance)
        );
        assert_eq!(
            ProductSort::order(None, false).ok(),
            Some(ProductOrder::Name)
        );
        assert!(ProductSort::order(Some(ProductSort::Relevance), false).is_err());
        assert_eq!(
            ProductSort::order(Some(ProductSort::PriceDesc), true).ok(),
            Some(ProductOrder::PriceDesc)
        );
    }
}
