//! Subscriptions (graphql-ws at `/graphql/ws`): `orderUpdated(id)` for the order's owner (or
//! staff) and `orders` for staff, fed by [`crate::subscriptions::OrderFeed`].
//!
//! Each announcement is only a hint: the resolver reloads the row and pushes it when its
//! version is newer than the last one pushed, so duplicates and out-of-date hints push nothing
//! and a subscriber never sees a version go backwards.

use async_graphql::{
    Context, ID, SimpleObject, Subscription,
    futures_util::{Stream, stream},
};
use chrono::{DateTime, Utc};
use tokio::sync::broadcast::{Receiver, error::RecvError};
use uuid::Uuid;

use super::{money::Money, store, viewer};
use crate::{
    error::QueryError,
    store::{Store, order_updates::OrderUpdateRow},
    subscriptions::{FeedEvent, OrderFeed},
};

/// Subscriptions.
#[derive(Default)]
pub struct SubscriptionRoot;

/// Live order status.
#[Subscription]
impl SubscriptionRoot {
    /// The order's state now, then every change of it. Only its owner and staff may follow
    /// an order; for anyone else it is `NOT_FOUND`.
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OrderUpdate>> + use<>> {
        let viewer = viewer(ctx)?;
        let account = viewer.require_account()?;
        let id = Uuid::parse_str(&id).map_err(|_| {
            QueryError::BadUserInput(format!(
                "`id` must be an order id (UUID), got {:?}",
                id.as_str()
            ))
        })?;
        let store = store(ctx)?.clone();
        // Subscribe before loading, so a change committed in between is not missed.
        let receiver = feed(ctx)?.subscribe().await?;
        let current = store
            .order_update(id)
            .await?
            .filter(|row| viewer.is_staff() || row.customer_id == account)
            .ok_or(QueryError::NotFound { what: "order" })?;
        let state = Follow {
            receiver,
            store,
            id,
            last: current.stream_version,
            first: Some(current),
        };
        Ok(stream::unfold(state, Follow::next))
    }

    /// Every order change from now on (staff only).
    async fn orders(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OrderUpdate>> + use<>> {
        viewer(ctx)?.require_staff()?;
        let store = store(ctx)?.clone();
        let receiver = feed(ctx)?.subscribe().await?;
        Ok(stream::unfold(
            (receiver, store),
            |(mut receiver, store)| async move {
                loop {
                    match receiver.recv().await {
                        Ok(FeedEvent::Changed(change)) => {
                            match store.order_update(change.order_id).await {
                                Ok(Some(row)) => {
                                    return Some((Ok(OrderUpdate::from(row)), (receiver, store)));
                                }
                                Ok(None) => continue,
                                Err(error) => return Some((Err(error.into()), (receiver, store))),
                            }
                        }
                        // The staff feed has no row to reload: it resumes with the next change.
                        Ok(FeedEvent::Gap) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}

fn feed<'a>(ctx: &Context<'a>) -> Result<&'a OrderFeed, QueryError> {
    ctx.data::<OrderFeed>()
        .map_err(|_| QueryError::MissingContext("OrderFeed"))
}

/// State of one `orderUpdated` stream.
struct Follow {
    receiver: Receiver<FeedEvent>,
    store: Store,
    id: Uuid,
    /// Version last pushed.
    last: i64,
    /// The row to push first.
    first: Option<OrderUpdateRow>,
}

impl Follow {
    async fn next(mut self) -> Option<(async_graphql::Result<OrderUpdate>, Self)> {
        if let Some(row) = self.first.take() {
            return Some((Ok(row.into()), self));
        }
        loop {
            let reload = match self.receiver.recv().await {
                Ok(FeedEvent::Changed(change)) => {
                    change.order_id == self.id && change.version > self.last
                }
                // Changes may have been missed: the row itself says where the order stands.
                Ok(FeedEvent::Gap) | Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return None,
            };
            if !reload {
                continue;
            }
            match self.store.order_update(self.id).await {
                Ok(Some(row)) if row.stream_version > self.last => {
                    self.last = row.stream_version;
                    return Some((Ok(row.into()), self));
                }
                Ok(_) => continue,
                Err(error) => return Some((Err(error.into()), self)),
            }
        }
    }
}

/// An order's status as it changes.
#[derive(Debug, Clone, SimpleObject)]
pub struct OrderUpdate {
    /// The order id.
    pub order_id: ID,
    /// Its owner.
    pub customer_id: ID,
    /// Lifecycle status in lower case: `placed`, `confirmed`, `paid`, `shipped`, `delivered`,
    /// `rejected`, `cancelled` or `refunded`.
    pub status: String,
    /// Amount due.
    pub total: Money,
    /// Increases with every change of the order.
    pub version: i64,
    /// When the latest change happened.
    pub updated_at: DateTime<Utc>,
}

impl From<OrderUpdateRow> for OrderUpdate {
    fn from(row: OrderUpdateRow) -> Self {
        Self {
            order_id: ID(row.order_id.to_string()),
            customer_id: ID(row.customer_id.to_string()),
            status: row.status,
            total: Money::new(row.total_minor, &row.currency),
            version: row.stream_version,
            updated_at: row.updated_at,
        }
    }
}
