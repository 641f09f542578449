//! The e-mails the notifications reactor sent (or will send) a customer, as a connection.

use async_graphql::{ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    pagination::{self, Page, PageInfo},
    store::customers::{NotificationKey, NotificationRow},
};

/// An e-mail to the customer.
pub struct Notification(pub NotificationRow);

/// An e-mail to the customer.
#[Object]
impl Notification {
    /// Notification id (also the e-mail's Message-ID).
    async fn id(&self) -> ID {
        ID(self.0.notification_id.to_string())
    }

    /// `welcome`, `order_confirmed`, `order_shipped`, `order_cancelled` or `refund`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// Subject line.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// Plain-text body.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Order it concerns, if any.
    async fn order_id(&self) -> Option<ID> {
        self.0.order_id.map(|id| ID(id.to_string()))
    }

    /// `pending`, `sent`, `failed` or `skipped`.
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// When the event it reports happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the mail server accepted it.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

/// A notification and its cursor.
#[derive(SimpleObject)]
pub struct NotificationEdge {
    /// Pass as `after` to continue after this notification.
    pub cursor: String,
    /// The notification.
    pub node: Notification,
}

/// A page of notifications, newest first.
#[derive(SimpleObject)]
pub struct NotificationConnection {
    /// The notifications of this page.
    pub edges: Vec<NotificationEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
}

impl NotificationConnection {
    /// The connection for one page.
    pub fn new(page: Page<NotificationRow>) -> Self {
        let edges: Vec<NotificationEdge> = page
            .rows
            .into_iter()
            .map(|row| NotificationEdge {
                cursor: pagination::encode_cursor(&NotificationKey {
                    created_at: row.created_at,
                    id: row.notification_id,
                }),
                node: Notification(row),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Self {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            edges,
        }
    }
}
