//! The catalog: `catalog_products` (with search document, status and price range) and
//! `catalog_variants`.
//!
//! A batch folds to one patch per product and per variant, written with a handful of set-based
//! statements: insert created products, update the others, insert added variants, update the
//! others, then recompute the price range of every product whose variants changed. A created
//! product or added variant is a plain insert, so a slug or SKU already taken by another product
//! fails the batch and sends the offending commit to the DLQ (see `read_model`) instead of
//! silently overwriting someone else's row.

mod fold;
mod write;

use domain::product::Product;
use sqlx::PgConnection;

use crate::read_model::{EventsOf, ReadModel};

/// Checkpoint name.
pub const NAME: &str = "catalog";

/// The catalog read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Catalog;

impl ReadModel for Catalog {
    const NAME: &'static str = NAME;
    type Aggregate = Product;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<Product>],
    ) -> Result<(), sqlx::Error> {
        let fold = fold::fold(events);
        let touched = fold.touched_products();
        write::products(&mut *conn, fold.products).await?;
        write::variants(&mut *conn, fold.variants).await?;
        write::recompute_prices(&mut *conn, &touched).await
    }
}
