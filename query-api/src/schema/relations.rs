//! DataLoaders of the commerce relations (orders, carts, customers, coupons): each costs one
//! statement per request level however many parents ask.
//!
//! Loaders grouping children by parent map every requested parent, childless ones to an
//! empty list, so a miss never falls back to a query of its own.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use uuid::Uuid;

use crate::store::{
    Store,
    admin::{RedemptionRow, ReservationRow},
    carts::{CartLineRow, CartRow},
    customers::CustomerRow,
    orders::{CustomerOrdersPage, OrderLineRow, OrderRow, PaymentRow, StatusChangeRow},
};

/// The commerce loaders of one request.
pub struct CommerceLoaders {
    /// Orders by id (unfiltered: resolvers check ownership).
    pub orders: DataLoader<OrdersById>,
    /// Pages of customers' orders.
    pub customer_orders: DataLoader<OrdersByCustomer>,
    /// Lines by order.
    pub order_lines: DataLoader<LinesByOrder>,
    /// Status history by order.
    pub order_history: DataLoader<HistoryByOrder>,
    /// Payments by id.
    pub payments: DataLoader<PaymentsById>,
    /// Carts by id (unfiltered: resolvers check ownership).
    pub carts: DataLoader<CartsById>,
    /// Lines by cart.
    pub cart_lines: DataLoader<LinesByCart>,
    /// Customers by id.
    pub customers: DataLoader<CustomersById>,
    /// Redemptions by coupon code.
    pub redemptions: DataLoader<RedemptionsByCoupon>,
    /// Open reservations by SKU.
    pub reservations: DataLoader<ReservationsBySku>,
}

impl CommerceLoaders {
    /// Fresh loaders over `store`.
    pub fn new(store: &Store) -> Self {
        let store = || Source(store.clone());
        Self {
            orders: DataLoader::new(OrdersById(store()), tokio::spawn),
            customer_orders: DataLoader::new(OrdersByCustomer(store()), tokio::spawn),
            order_lines: DataLoader::new(LinesByOrder(store()), tokio::spawn),
            order_history: DataLoader::new(HistoryByOrder(store()), tokio::spawn),
            payments: DataLoader::new(PaymentsById(store()), tokio::spawn),
            carts: DataLoader::new(CartsById(store()), tokio::spawn),
            cart_lines: DataLoader::new(LinesByCart(store()), tokio::spawn),
            customers: DataLoader::new(CustomersById(store()), tokio::spawn),
            redemptions: DataLoader::new(RedemptionsByCoupon(store()), tokio::spawn),
            reservations: DataLoader::new(ReservationsBySku(store()), tokio::spawn),
        }
    }
}

/// The store a loader reads from.
pub struct Source(Store);

/// An empty list for every key, to be filled with the children found.
fn groups<K: Clone + Eq + std::hash::Hash, V>(keys: &[K]) -> HashMap<K, Vec<V>> {
    keys.iter().map(|key| (key.clone(), Vec::new())).collect()
}

/// Orders by id.
pub struct OrdersById(Source);

impl Loader<Uuid> for OrdersById {
    type Value = OrderRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, OrderRow>, Self::Error> {
        let rows = self.0.0.orders_by_ids(ids).await?;
        Ok(rows.into_iter().map(|row| (row.order_id, row)).collect())
    }
}

/// One page of orders per customer page key (rows in listing order).
pub struct OrdersByCustomer(Source);

impl Loader<CustomerOrdersPage> for OrdersByCustomer {
    type Value = Vec<OrderRow>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        pages: &[CustomerOrdersPage],
    ) -> Result<HashMap<CustomerOrdersPage, Vec<OrderRow>>, Self::Error> {
        let mut by_page = groups(pages);
        for row in self.0.0.customer_order_pages(pages).await? {
            let page = usize::try_from(row.page).ok().and_then(|i| pages.get(i));
            if let Some(page) = page {
                by_page.entry(*page).or_default().push(row.order);
            }
        }
        Ok(by_page)
    }
}

/// Lines of orders, in line order.
pub struct LinesByOrder(Source);

impl Loader<Uuid> for LinesByOrder {
    type Value = Vec<OrderLineRow>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<OrderLineRow>>, Self::Error> {
        let mut by_order = groups(ids);
        for row in self.0.0.order_lines_of(ids).await? {
            by_order.entry(row.order_id).or_default().push(row);
        }
        Ok(by_order)
    }
}

/// Status history of orders, oldest first.
pub struct HistoryByOrder(Source);

impl Loader<Uuid> for HistoryByOrder {
    type Value = Vec<StatusChangeRow>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<StatusChangeRow>>, Self::Error> {
        let mut by_order = groups(ids);
        for row in self.0.0.status_history_of(ids).await? {
            by_order.entry(row.order_id).or_default().push(row);
        }
        Ok(by_order)
    }
}

/// Payments by id.
pub struct PaymentsById(Source);

impl Loader<Uuid> for PaymentsById {
    type Value = PaymentRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, PaymentRow>, Self::Error> {
        let rows = self.0.0.payments_by_ids(ids).await?;
        Ok(rows.into_iter().map(|row| (row.payment_id, row)).collect())
    }
}

/// Carts by id.
pub struct CartsById(Source);

impl Loader<Uuid> for CartsById {
    type Value = CartRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, CartRow>, Self::Error> {
        let rows = self.0.0.carts_by_ids(ids).await?;
        Ok(rows.into_iter().map(|row| (row.cart_id, row)).collect())
    }
}

/// Lines of carts, by SKU.
pub struct LinesByCart(Source);

impl Loader<Uuid> for LinesByCart {
    type Value = Vec<CartLineRow>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<CartLineRow>>, Self::Error> {
        let mut by_cart = groups(ids);
        for row in self.0.0.cart_lines_of(ids).await? {
            by_cart.entry(row.cart_id).or_default().push(row);
        }
        Ok(by_cart)
    }
}

/// Customers by id.
pub struct CustomersById(Source);

impl Loader<Uuid> for CustomersById {
    type Value = CustomerRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, CustomerRow>, Self::Error> {
        let rows = self.0.0.customers_by_ids(ids).await?;
        Ok(rows.into_iter().map(|row| (row.customer_id, row)).collect())
    }
}

/// Redemptions of coupons, newest first.
pub struct RedemptionsByCoupon(Source);

impl Loader<String> for RedemptionsByCoupon {
    type Value = Vec<RedemptionRow>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        codes: &[String],
    ) -> Result<HashMap<String, Vec<RedemptionRow>>, Self::Error> {
        let mut by_code = groups(codes);
        for row in self.0.0.redemptions_of(codes).await? {
            by_code.entry(row.code.clone()).or_default().push(row);
        }
        Ok(by_code)
    }
}

/// Open reservations of SKUs, oldest order first.
pub struct ReservationsBySku(Source);

impl Loader<String> for ReservationsBySku {
    type Value = Vec<ReservationRow>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        skus: &[String],
    ) -> Result<HashMap<String, Vec<ReservationRow>>, Self::Error> {
        let mut by_sku = groups(skus);
        for row in self.0.0.reservations_of(skus).await? {
            by_sku.entry(row.sku.clone()).or_default().push(row);
        }
        Ok(by_sku)
    }
}
