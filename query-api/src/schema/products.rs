//! The catalog: `products` (a Relay connection with filters and full-text search), `product`
//! (by id or slug), and the `Product` and `Variant` types.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use uuid::Uuid;

use super::{
    VARIANTS_WEIGHT,
    facets::{AttributeFilter, ProductFacets, ProductSort},
    inventory::Inventory,
    loaders,
    money::{Money, PriceRange},
    store, viewer,
};
use crate::{
    consistency::{self, Projection},
    error::QueryError,
    pagination::{self, Page, PageInfo},
    store::products::{ProductFilter as StoreFilter, ProductKey, ProductRow, VariantRow},
};

/// What catalog resolvers read (products, and variants' availability), for read-your-writes.
const CATALOG_READS: &[Projection] = &[Projection::Catalog, Projection::Inventory];

/// Catalog queries.
#[derive(Default)]
pub struct ProductsQuery;

/// Catalog queries.
#[Object]
impl ProductsQuery {
    /// Products, `first` at a time (default 20, at most 100), in `sort` order (default: by
    /// name, or by search rank when `filter.search` is given); ties are broken by id. Without
    /// the staff role only published products are listed.
    #[graphql(complexity = "pagination::connection_complexity(first, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ProductFilter>,
        sort: Option<ProductSort>,
    ) -> async_graphql::Result<ProductConnection> {
        let size = pagination::page_size(first)?;
        let filter = filter.unwrap_or_default().into_store(viewer(ctx)?)?;
        let order = ProductSort::order(sort, filter.searches())?;
        let after = after
            .map(|cursor| pagination::decode_cursor::<ProductKey>(&cursor))
            .transpose()?;
        if after.as_ref().is_some_and(|key| !key.fits(order)) {
            return Err(pagination::invalid_cursor().into());
        }
        consistency::wait_for(ctx, CATALOG_READS).await?;
        let rows = store(ctx)?
            .product_page(&filter, order, after.as_ref(), size + 1)
            .await?;
        let page = Page::from_overfetch(rows, size);
        prefetch(ctx, &page.rows).await?;
        let edges: Vec<ProductEdge> = page
            .rows
            .into_iter()
            .map(|row| ProductEdge {
                cursor: pagination::encode_cursor(&row.key(order)),
                node: Product(row.product),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Ok(ProductConnection {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            edges,
            filter,
        })
    }

    /// One product, by exactly one of `id` or `slug`. A product the caller may not see is
    /// `NOT_FOUND`, like one that does not exist.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> async_graphql::Result<Option<Product>> {
        consistency::wait_for(ctx, CATALOG_READS).await?;
        let row = match (id, slug) {
            (Some(id), None) => {
                let id = Uuid::parse_str(&id).map_err(|_| {
                    QueryError::BadUserInput(format!(
                        "`id` must be a product id (UUID), got {:?}",
                        id.as_str()
                    ))
                })?;
                loaders(ctx)?.products.load_one(id).await?
            }
            (None, Some(slug)) => {
                store(ctx)?
                    .product_by_slug(&slug, &viewer(ctx)?.visible_statuses())
                    .await?
            }
            _ => {
                return Err(QueryError::BadUserInput(
                    "give exactly one of `id` or `slug`".to_string(),
                )
                .into());
            }
        };
        match row {
            Some(row) => Ok(Some(Product(row))),
            None => Err(QueryError::NotFound { what: "product" }.into()),
        }
    }
}

/// Loads the variants of a page's products, and their stock, in one batch each when the query
/// selects them. The per-product resolvers then find them in the request's loader cache: left
/// to themselves, more than ~30 of them are resolved across several polls and a batch can be
/// dispatched before the last of them has joined it.
async fn prefetch(
    ctx: &Context<'_>,
    rows: &[crate::store::products::RankedProductRow],
) -> Result<(), async_graphql::Error> {
    let variants_field = ctx
        .look_ahead()
        .field("edges")
        .field("node")
        .field("variants");
    if !variants_field.exists() {
        return Ok(());
    }
    let loaders = loaders(ctx)?;
    // The listed products are visible to this viewer: `Variant.product` needs no query.
    loaders
        .products
        .feed_many(
            rows.iter()
                .map(|row| (row.product.product_id, row.product.clone())),
        )
        .await;
    let ids = rows.iter().map(|row| row.product.product_id);
    let variants = loaders.variants.load_many(ids).await?;
    if variants_field.field("availability").exists() {
        let skus = variants
            .values()
            .flatten()
            .map(|variant| variant.sku.clone());
        loaders.inventory.load_many(skus).await?;
    }
    Ok(())
}

/// Which products to list; all conditions must hold.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ProductFilter {
    /// Category, with its subcategories (`shoes` also lists `shoes/trail`).
    pub category: Option<String>,
    /// Exact brand.
    pub brand: Option<String>,
    /// Full-text search in web-search syntax (`wool scarf`, `"red scarf"`, `scarf -wool`)
    /// over name, brand, category and description, with English stemming; results are ranked.
    pub search: Option<String>,
    /// Only this status. Without the staff role, anything but `PUBLISHED` is `FORBIDDEN`.
    pub status: Option<ProductStatus>,
    /// Attribute values, on the product or one of its active variants (`size` in `M`, `L`).
    pub attributes: Option<Vec<AttributeFilter>>,
    /// Some active variant costs at least this much (minor units).
    pub min_price_minor: Option<i64>,
    /// Some active variant costs at most this much (minor units).
    pub max_price_minor: Option<i64>,
    /// Only products with an active variant in stock (`true`); `false` or null: no condition.
    pub in_stock: Option<bool>,
}

impl ProductFilter {
    /// The store's filter for `viewer`; inconsistent bounds and empty value lists are
    /// `BAD_USER_INPUT`.
    fn into_store(self, viewer: crate::viewer::Viewer) -> Result<StoreFilter, QueryError> {
        if self.min_price_minor.is_some_and(|min| min < 0)
            || self.max_price_minor.is_some_and(|max| max < 0)
        {
            return Err(QueryError::BadUserInput(
                "prices cannot be negative".to_string(),
            ));
        }
        if let (Some(min), Some(max)) = (self.min_price_minor, self.max_price_minor)
            && min > max
        {
            return Err(QueryError::BadUserInput(format!(
                "`minPriceMinor` ({min}) is above `maxPriceMinor` ({max})"
            )));
        }
        let mut attributes = Vec::new();
        for attribute in self.attributes.unwrap_or_default() {
            if attribute.values.is_empty() {
                return Err(QueryError::BadUserInput(format!(
                    "attribute filter `{}` lists no values",
                    attribute.name
                )));
            }
            attributes.push((attribute.name, attribute.values));
        }
        Ok(StoreFilter {
            statuses: viewer.listed_statuses(self.status)?,
            category: self.category,
            brand: self.brand,
            search: self
                .search
                .map(|search| search.trim().to_string())
                .filter(|search| !search.is_empty()),
            attributes,
            min_price_minor: self.min_price_minor,
            max_price_minor: self.max_price_minor,
            in_stock: self.in_stock.unwrap_or(false),
        })
    }
}

/// Publication state of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProductStatus {
    /// Being prepared; staff only.
    Draft,
    /// On sale.
    Published,
    /// Removed from the catalog; staff only.
    Deleted,
}

impl ProductStatus {
    /// The value stored in `catalog_products.status`.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Deleted => "deleted",
        }
    }

    /// Reads `catalog_products.status`.
    pub fn from_db(value: &str) -> Result<Self, QueryError> {
        match value {
            "draft" => Ok(Self::Draft),
            "published" => Ok(Self::Published),
            "deleted" => Ok(Self::Deleted),
            other => Err(QueryError::Corrupt(format!("product status {other:?}"))),
        }
    }
}

/// A page of products.
pub struct ProductConnection {
    edges: Vec<ProductEdge>,
    page_info: PageInfo,
    /// Kept so `totalCount` can count the same products, only when asked for.
    filter: StoreFilter,
}

/// A page of products (Relay connection).
#[Object]
impl ProductConnection {
    /// The products of this page, each with its cursor.
    async fn edges(&self) -> &[ProductEdge] {
        &self.edges
    }

    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many products match the filter across all pages (one extra query, run only when
    /// this field is selected).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(store(ctx)?.count_products(&self.filter).await?)
    }

    /// Facet counts (categories, brands, attribute values, price buckets) over every product
    /// the filter matches (one extra query, run only when this field is selected).
    async fn facets(&self, ctx: &Context<'_>) -> async_graphql::Result<ProductFacets> {
        let rows = store(ctx)?.product_facets(&self.filter).await?;
        Ok(ProductFacets::from_rows(rows)?)
    }
}

/// A product and its place in the listing.
#[derive(SimpleObject)]
pub struct ProductEdge {
    /// Opaque; pass it as `after` to continue after this product.
    pub cursor: String,
    /// The product.
    pub node: Product,
}

/// A name and value, from a product's or variant's attribute map.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct Attribute {
    /// Attribute name, e.g. `material`.
    pub name: String,
    /// Attribute value, e.g. `wool`.
    pub value: String,
}

/// Attributes of a JSON object, sorted by name; non-string values appear as JSON text.
fn attributes(json: &serde_json::Value) -> Vec<Attribute> {
    let mut attributes: Vec<Attribute> = json
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| Attribute {
            name: name.clone(),
            value: value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string),
        })
        .collect();
    attributes.sort_by(|a, b| a.name.cmp(&b.name));
    attributes
}

/// Empty strings stand for "none" in the read model.
fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// A product of the catalog.
pub struct Product(pub ProductRow);

/// A product of the catalog: what a storefront page shows, with its variants.
#[Object]
impl Product {
    /// Product id (a UUID).
    async fn id(&self) -> ID {
        ID(self.0.product_id.to_string())
    }

    /// Unique URL name.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Long description (may be empty).
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Category, if any.
    async fn category(&self) -> Option<&str> {
        non_empty(&self.0.category)
    }

    /// Brand, if any.
    async fn brand(&self) -> Option<&str> {
        non_empty(&self.0.brand)
    }

    /// Attributes such as material, sorted by name.
    async fn attributes(&self) -> Vec<Attribute> {
        attributes(&self.0.attributes)
    }

    /// Publication state.
    async fn status(&self) -> async_graphql::Result<ProductStatus> {
        Ok(ProductStatus::from_db(&self.0.status)?)
    }

    /// Cheapest and dearest active variant; null while no variant is on sale.
    async fn price_range(&self) -> Option<PriceRange> {
        let row = &self.0;
        match (&row.currency, row.min_price_minor, row.max_price_minor) {
            (Some(currency), Some(min), Some(max)) => Some(PriceRange {
                min: Money::new(min, currency),
                max: Money::new(max, currency),
            }),
            _ => None,
        }
    }

    /// Every variant, retired ones included (see `retired`), in the order they were added.
    #[graphql(complexity = "VARIANTS_WEIGHT * child_complexity")]
    async fn variants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Variant>> {
        let rows = loaders(ctx)?
            .variants
            .load_one(self.0.product_id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Variant).collect())
    }
}

/// A sellable variant of a product (one SKU).
pub struct Variant(pub VariantRow);

/// A sellable variant of a product: one SKU with its own price and stock.
#[Object]
impl Variant {
    /// Stock-keeping unit.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Unit price.
    async fn price(&self) -> Money {
        Money::new(self.0.price_minor, &self.0.currency)
    }

    /// Attributes such as size, sorted by name.
    async fn attributes(&self) -> Vec<Attribute> {
        attributes(&self.0.attributes)
    }

    /// Retired variants stay visible on old orders but are no longer sold.
    async fn retired(&self) -> bool {
        self.0.retired
    }

    /// Stock of this SKU; null until inventory has been recorded for it.
    async fn availability(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Inventory>> {
        let row = loaders(ctx)?.inventory.load_one(self.0.sku.clone()).await?;
        Ok(row.map(Inventory))
    }

    /// The product this variant belongs to.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        let row = loaders(ctx)?.products.load_one(self.0.product_id).await?;
        Ok(row.map(Product))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_listed_by_name_with_non_strings_as_json() {
        let json = serde_json::json!({"size": "M", "colour": "red", "weight": 120});
        let names: Vec<(String, String)> = attributes(&json)
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect();
        assert_eq!(
            names,
            vec![
                ("colour".to_string(), "red".to_string()),
                ("size".to_string(), "M".to_string()),
                ("weight".to_string(), "120".to_string()),
            ]
        );
        assert!(attributes(&serde_json::Value::Null).is_empty());
    }

    #[test]
    fn unknown_statuses_are_internal_errors() {
        assert!(matches!(
            ProductStatus::from_db("archived"),
            Err(QueryError::Corrupt(_))
        ));
        for status in [
            ProductStatus::Draft,
            ProductStatus::Published,
            ProductStatus::Deleted,
        ] {
            assert_eq!(ProductStatus::from_db(status.as_db()).ok(), Some(status));
        }
    }
}
