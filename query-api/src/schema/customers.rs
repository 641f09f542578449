//! The `Customer` type (reached as `me`, `Order.customer` and `admin.customers`), its address
//! book and its orders connection.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{loaders, orders::OrderConnection};
use crate::{
    error::QueryError,
    pagination::{self, Page},
    store::{
        customers::CustomerRow,
        orders::{CustomerOrdersPage, OrderFilter, OrderKey},
    },
};

/// A postal address, as the domain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, SimpleObject)]
pub struct Address {
    /// Id within the customer's address book; absent on an order's shipping address.
    #[serde(default)]
    pub address_id: Option<Uuid>,
    /// Who receives the parcel.
    pub recipient: String,
    /// Street and number.
    pub line1: String,
    /// Extra line, may be empty.
    #[serde(default)]
    pub line2: String,
    /// City.
    pub city: String,
    /// Postal code, may be empty.
    #[serde(default)]
    pub postal_code: String,
    /// Region or state, may be empty.
    #[serde(default)]
    pub region: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

impl Address {
    /// Reads an address (or a list of them) the projector stored as JSON.
    pub fn parse<T: serde::de::DeserializeOwned>(
        value: &serde_json::Value,
        whose: &str,
    ) -> Result<T, QueryError> {
        T::deserialize(value)
            .map_err(|error| QueryError::Corrupt(format!("address of {whose}: {error}")))
    }
}

/// An account: shopper, staff or admin.
pub struct Customer(pub CustomerRow);

/// An account: shopper, staff or admin.
#[Object]
impl Customer {
    /// Account id.
    async fn id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }

    /// E-mail address (normalized to lowercase).
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Display name.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// `customer`, `staff` or `admin`.
    async fn role(&self) -> &str {
        &self.0.role
    }

    /// Whether the account is active.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// The address book.
    async fn addresses(&self) -> Result<Vec<Address>, QueryError> {
        Address::parse(&self.0.addresses, "customer")
    }

    /// Id of the default address, if set.
    async fn default_address_id(&self) -> Option<ID> {
        self.0.default_address_id.map(|id| ID(id.to_string()))
    }

    /// Orders paid for and not cancelled.
    async fn order_count(&self) -> i32 {
        self.0.order_count
    }

    /// What those orders paid minus refunds, in minor units of the shop's currency.
    async fn lifetime_value_minor(&self) -> i64 {
        self.0.lifetime_value_minor
    }

    /// When the account was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The customer's orders, newest first, `first` at a time (default 20, at most 100).
    #[graphql(complexity = "pagination::connection_complexity(first, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<OrderConnection> {
        let size = pagination::page_size(first)?;
        let after = after
            .map(|cursor| pagination::decode_cursor::<OrderKey>(&cursor))
            .transpose()?;
        let key = CustomerOrdersPage {
            customer_id: self.0.customer_id,
            after,
            limit: i64::try_from(size + 1).unwrap_or(i64::MAX),
        };
        let rows = loaders(ctx)?
            .commerce
            .customer_orders
            .load_one(key)
            .await?
            .unwrap_or_default();
        let filter = OrderFilter {
            customer_id: Some(self.0.customer_id),
            ..OrderFilter::default()
        };
        Ok(OrderConnection::new(
            Page::from_overfetch(rows, size),
            filter,
        ))
    }
}
