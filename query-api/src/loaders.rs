//! Request-scoped DataLoaders: each relation costs one SQL statement per request level,
//! however many parents ask (no N+1).
//!
//! A fresh [`Loaders`] is built for every request, so batches never mix callers, and loaders
//! that filter by visibility (products) can hold the caller's [`Viewer`].
//!
//! Loader errors are converted (and internal ones logged) once inside the loader; every field
//! waiting on that batch then gets a clone of the already-converted error.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use uuid::Uuid;

use crate::{
    schema::relations::CommerceLoaders,
    store::{
        Store,
        inventory::InventoryRow,
        products::{ProductRow, VariantRow},
    },
    viewer::Viewer,
};

/// Every DataLoader of one request.
pub struct Loaders {
    /// Products by id, limited to what the viewer may see.
    pub products: DataLoader<ProductsById, HashMapCache>,
    /// Variants by product id, in position order.
    pub variants: DataLoader<VariantsByProduct, HashMapCache>,
    /// Inventory by SKU.
    pub inventory: DataLoader<InventoryBySku, HashMapCache>,
    /// Orders, carts, customers, coupons and their relations.
    pub commerce: CommerceLoaders,
}

impl Loaders {
    /// Loaders for one request by `viewer`.
    pub fn new(store: &Store, viewer: Viewer) -> Self {
        Self {
            products: DataLoader::with_cache(
                ProductsById {
                    store: store.clone(),
                    viewer,
                },
                tokio::spawn,
                HashMapCache::default(),
            ),
            // Cached (per request) so a listing can load a whole page's variants and stock in
            // one batch up front (see `schema::products`) and the per-product fields hit it.
            variants: DataLoader::with_cache(
                VariantsByProduct {
                    store: store.clone(),
                },
                tokio::spawn,
                HashMapCache::default(),
            ),
            inventory: DataLoader::with_cache(
                InventoryBySku {
                    store: store.clone(),
                },
                tokio::spawn,
                HashMapCache::default(),
            ),
            commerce: CommerceLoaders::new(store),
        }
    }
}

/// Loads products by id, hiding those the viewer may not see.
pub struct ProductsById {
    store: Store,
    viewer: Viewer,
}

impl Loader<Uuid> for ProductsById {
    type Value = ProductRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, ProductRow>, Self::Error> {
        let rows = self
            .store
            .products_by_ids(ids, &self.viewer.visible_statuses())
            .await?;
        Ok(rows.into_iter().map(|row| (row.product_id, row)).collect())
    }
}

/// Loads the variants of products; a product without variants maps to an empty list.
pub struct VariantsByProduct {
    store: Store,
}

impl Loader<Uuid> for VariantsByProduct {
    type Value = Vec<VariantRow>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<VariantRow>>, Self::Error> {
        let mut by_product: HashMap<Uuid, Vec<VariantRow>> =
            ids.iter().map(|id| (*id, Vec::new())).collect();
        // Rows arrive in position order, so pushing keeps each list ordered.
        for row in self.store.variants_of(ids).await? {
            by_product.entry(row.product_id).or_default().push(row);
        }
        Ok(by_product)
    }
}

/// Loads inventory rows by SKU; SKUs without a row are absent.
pub struct InventoryBySku {
    store: Store,
}

impl Loader<String> for InventoryBySku {
    type Value = InventoryRow;
    type Error = async_graphql::Error;

    async fn load(&self, skus: &[String]) -> Result<HashMap<String, InventoryRow>, Self::Error> {
        let rows = self.store.inventory_by_skus(skus).await?;
        Ok(rows.into_iter().map(|row| (row.sku.clone(), row)).collect())
    }
}
