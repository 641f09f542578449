//! The GraphQL schema: one module per resource, assembled into one [`AgoraSchema`].
//!
//! Limits (see [`crate::config::Limits`]) are set on the schema itself, so a query that is too
//! deep or too complex is refused during validation, before any resolver or SQL runs. Lists
//! count towards complexity once per row they may return: a connection multiplies its children
//! by `first`, a product's variants by [`VARIANTS_WEIGHT`].
//!
//! # Layout
//! - [`products`]: `products` (a connection), `product`, and the `Product`/`Variant` types.
//! - [`facets`]: `ProductSort`, attribute filters and the facet counts of a listing;
//!   [`categories`]: the `categories` tree.
//! - [`inventory`]: `inventory` and the `Inventory` type.
//! - [`money`]: `Money` and `PriceRange`.
//! - [`me`]: `me` and `notifications`, the signed-in caller's own data ([`customers`],
//!   [`notifications`] hold their types).
//! - [`orders`]: `order` and the `Order` type (lines, history, payment); [`carts`]: `cart`.
//! - [`admin`]: everything under `admin` (staff only), with [`analytics`] from ClickHouse.
//! - [`relations`]: the DataLoaders of the commerce relations.
//! - [`subscription`]: `orderUpdated` and `orders` over graphql-ws.
//! - [`error_codes`]: gives framework errors (parse, validation, limits) a `code` too.
//! - [`introspection`]: introspection off outside dev mode, and bounded per operation.
//! - [`gate`]: the same two around `POST /graphql` instead of inside the schema, because any
//!   schema extension puts every field of every answer through the extension chain.
//!
//! The SDL is checked in as `query-api/schema.graphql`; `tests/sdl.rs` fails when it differs
//! from [`sdl`]. Regenerate it with `AGORA_WRITE_SDL=1 cargo test -p query-api --test sdl`.

pub mod admin;
pub mod analytics;
pub mod carts;
pub mod categories;
pub mod customers;
pub mod error_codes;
pub mod facets;
pub mod gate;
pub mod introspection;
pub mod inventory;
pub mod me;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod products;
pub mod relations;
pub mod subscription;

use async_graphql::{Context, EmptyMutation, MergedObject, Schema};

use crate::{config::Limits, error::QueryError, loaders::Loaders, store::Store, viewer::Viewer};

/// How many variants a product is assumed to have when estimating a query's complexity.
pub const VARIANTS_WEIGHT: usize = 5;

/// Reads of the Agora catalog and inventory.
// Every query field, merged from the resource modules.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    products::ProductsQuery,
    categories::CategoriesQuery,
    inventory::InventoryQuery,
    me::MeQuery,
    orders::OrdersQuery,
    carts::CartsQuery,
    admin::AdminQuery,
);

/// Most directives one field may carry (`@include`/`@skip` twice over is already unusual).
const MAX_DIRECTIVES_PER_FIELD: usize = 4;

/// The schema type served at `/graphql`.
pub type AgoraSchema = Schema<QueryRoot, EmptyMutation, subscription::SubscriptionRoot>;

/// Builds the schema of `POST /graphql`: its limits and no extension, so fields resolve on
/// async-graphql's direct path; [`gate::Gate`] does around it what the extensions of
/// [`build_streaming`] do inside. Requests must carry a [`Store`], a [`Viewer`] and fresh
/// [`Loaders`] as request data (the HTTP handler adds them).
pub fn build(limits: Limits) -> AgoraSchema {
    limited(limits).finish()
}

/// Builds the schema of `/graphql/ws`: the same limits, with the introspection limit, error
/// codes and stream metrics as extensions (a streamed operation is set up inside
/// async-graphql, where only an extension sees it; streams are few, so their per-field cost
/// does not matter).
pub fn build_streaming(limits: Limits) -> AgoraSchema {
    limited(limits)
        // First, so it sees the parsed document before anything else and its code stays its own.
        .extension(introspection::IntrospectionLimit::new(limits.introspection))
        .extension(error_codes::ErrorCodes::new(limits))
        .extension(crate::observe::OperationMetrics)
        .finish()
}

fn limited(
    limits: Limits,
) -> async_graphql::SchemaBuilder<QueryRoot, EmptyMutation, subscription::SubscriptionRoot> {
    let builder = Schema::build(
        QueryRoot::default(),
        EmptyMutation,
        subscription::SubscriptionRoot,
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    // Repeating a directive on one field multiplies validation work without changing results.
    .limit_directives(MAX_DIRECTIVES_PER_FIELD);
    // Also off in the schema itself, so nothing but the limit's own refusal could answer it.
    if limits.introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

/// The schema in SDL, as checked in to `query-api/schema.graphql`.
pub fn sdl() -> String {
    build(Limits::default()).sdl()
}

/// Wraps a request with everything resolvers need for one caller.
pub fn prepare(
    request: async_graphql::Request,
    store: &Store,
    viewer: Viewer,
) -> async_graphql::Request {
    request
        .data(Loaders::new(store, viewer))
        .data(store.clone())
        .data(viewer)
}

/// This request's loaders.
fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, QueryError> {
    ctx.data::<Loaders>()
        .map_err(|_| QueryError::MissingContext("Loaders"))
}

/// This request's store.
fn store<'a>(ctx: &Context<'a>) -> Result<&'a Store, QueryError> {
    ctx.data::<Store>()
        .map_err(|_| QueryError::MissingContext("Store"))
}

/// This request's viewer.
fn viewer(ctx: &Context<'_>) -> Result<Viewer, QueryError> {
    ctx.data::<Viewer>()
        .copied()
        .map_err(|_| QueryError::MissingContext("Viewer"))
}
