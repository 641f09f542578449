//! The signed-in caller's own data: `me` (profile, addresses, orders) and `notifications`.
//! Both need a token (`UNAUTHENTICATED` without one) and only ever read the token's account.

use async_graphql::{Context, Object};

use super::{customers::Customer, loaders, notifications::NotificationConnection, store, viewer};
use crate::{
    consistency::{self, Projection},
    error::QueryError,
    pagination::{self, Page},
    store::customers::NotificationKey,
};

/// What `me` reads: the profile, and through `orders` the caller's orders with their payments.
const ME_READS: &[Projection] = &[
    Projection::Customers,
    Projection::Orders,
    Projection::Payments,
];

/// Queries about the caller.
#[derive(Default)]
pub struct MeQuery;

/// Queries about the caller.
#[Object]
impl MeQuery {
    /// The caller's account. `NOT_FOUND` while the registration has not reached the read
    /// model yet.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let id = viewer(ctx)?.require_account()?;
        consistency::wait_for(ctx, ME_READS).await?;
        match loaders(ctx)?.commerce.customers.load_one(id).await? {
            Some(row) => Ok(Some(Customer(row))),
            None => Err(QueryError::NotFound { what: "customer" }.into()),
        }
    }

    /// The e-mails sent (or queued) to the caller, newest first, `first` at a time (default
    /// 20, at most 100).
    #[graphql(complexity = "pagination::connection_complexity(first, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Option<NotificationConnection>> {
        let id = viewer(ctx)?.require_account()?;
        consistency::wait_for(ctx, &[Projection::Notifications]).await?;
        let size = pagination::page_size(first)?;
        let after = after
            .map(|cursor| pagination::decode_cursor::<NotificationKey>(&cursor))
            .transpose()?;
        let rows = store(ctx)?
            .notification_page(id, after.as_ref(), size + 1)
            .await?;
        Ok(Some(NotificationConnection::new(Page::from_overfetch(
            rows, size,
        ))))
    }
}
