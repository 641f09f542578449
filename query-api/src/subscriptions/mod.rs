//! The order-change feed behind GraphQL subscriptions.
//!
//! The orders projection announces every order row it changed on the Postgres channel
//! `agora_orders`, inside its batch transaction (so only committed rows are announced). This
//! process runs one [`PgListener`] on that channel, started by the first subscription, and fans
//! the announcements out to every subscription through a tokio broadcast channel; subscription
//! resolvers (`schema::subscription`) filter them and load the row itself.
//!
//! Notifications are not durable: while the listener reconnects, or when a slow subscriber
//! falls more than [`CAPACITY`] announcements behind, changes are missed. Both are reported to
//! subscribers as [`FeedEvent::Gap`], so one that follows a single order reloads it.
//!
//! [`ws`] serves the subscriptions at `/graphql/ws`.

pub mod ws;

use std::sync::Arc;

use serde::Deserialize;
use sqlx::{PgPool, postgres::PgListener};
use tokio::sync::{OnceCell, broadcast};
use uuid::Uuid;

use crate::error::{QueryError, cause_chain};

/// The channel the orders projection notifies.
pub const CHANNEL: &str = "agora_orders";

/// Announcements buffered per subscriber before it is told it missed some.
pub const CAPACITY: usize = 1024;

/// An order row the orders projection changed (the announcement, not the row).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderChange {
    /// The order.
    pub order_id: Uuid,
    /// Its owner.
    pub customer_id: Uuid,
    /// Status after the change, as stored (`confirmed`, …).
    pub status: String,
    /// Stream version after the change.
    pub version: i64,
}

/// What subscribers receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// An order changed.
    Changed(OrderChange),
    /// Announcements may have been missed (the listener reconnected).
    Gap,
}

/// The payload as the projector sends it: the change plus the schema it was written in.
#[derive(Debug, Deserialize)]
struct Announcement {
    #[serde(flatten)]
    change: OrderChange,
    schema: String,
}

/// Handle on the shared feed; clones share one listener.
#[derive(Debug, Clone)]
pub struct OrderFeed {
    pool: PgPool,
    schema: String,
    sender: Arc<OnceCell<broadcast::Sender<FeedEvent>>>,
}

impl OrderFeed {
    /// A feed of the orders in `schema` of `pool`'s database; listens from the first
    /// [`subscribe`](Self::subscribe) on.
    pub fn new(pool: PgPool, schema: &str) -> Self {
        Self {
            pool,
            schema: schema.to_string(),
            sender: Arc::default(),
        }
    }

    /// A receiver of every change from now on. The first call connects and `LISTEN`s before it
    /// returns, so nothing committed after it returns is missed.
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<FeedEvent>, QueryError> {
        let sender = self.sender.get_or_try_init(|| self.start()).await?;
        Ok(sender.subscribe())
    }

    async fn start(&self) -> Result<broadcast::Sender<FeedEvent>, QueryError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let (sender, _) = broadcast::channel(CAPACITY);
        tokio::spawn(relay(listener, sender.clone(), self.schema.clone()));
        Ok(sender)
    }
}

/// Forwards announcements of `schema` until the process ends.
async fn relay(mut listener: PgListener, sender: broadcast::Sender<FeedEvent>, schema: String) {
    loop {
        // `try_recv` yields `None` when the connection dropped; the next call reconnects.
        let event = match listener.try_recv().await {
            Ok(Some(notification)) => {
                match serde_json::from_str::<Announcement>(notification.payload()) {
                    // Rebuilds write scratch schemas of the same database: not our rows.
                    Ok(announcement) if announcement.schema != schema => continue,
                    Ok(announcement) => FeedEvent::Changed(announcement.change),
                    Err(error) => {
                        tracing::warn!(error = %error, "ignoring a malformed order announcement");
                        continue;
                    }
                }
            }
            Ok(None) => {
                tracing::warn!("order feed lost its connection; reconnecting");
                FeedEvent::Gap
            }
            Err(error) => {
                tracing::warn!(error = %cause_chain(&error), "order feed failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                FeedEvent::Gap
            }
        };
        // No subscribers right now is fine: nobody is waiting for this change.
        let _ = sender.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_carry_the_change_and_its_schema() {
        let id = Uuid::from_u128(1);
        let payload = format!(
            r#"{{"order_id":"{id}","customer_id":"{id}","status":"paid","version":4,"schema":"public"}}"#
        );
        let announcement: Announcement = serde_json::from_str(&payload).unwrap();
        assert_eq!(announcement.schema, "public");
        assert_eq!(
            announcement.change,
            OrderChange {
                order_id: id,
                customer_id: id,
                status: "paid".to_string(),
                version: 4
            }
        );
    }
}
