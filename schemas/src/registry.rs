//! The event type registry: every event type Agora writes, its aggregate and its current schema.
//!
//! The registry is the one place that says which version of a payload writers produce today.
//! Readers upcast anything older to that version (see [`mod@crate::upcast`]). The contract tests
//! check that it lists exactly the variants of the domain's event enums, that each version has a
//! checked-in JSON Schema and golden example, and that every step from version 1 to the current
//! one has an upcaster.
//!
//! Type names are unique across aggregates: the envelope's `type` and the Kafka headers name an
//! event without its aggregate.

/// What the registry knows about one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTypeInfo {
    /// The aggregate's `KIND`, e.g. `inventory`.
    pub aggregate: &'static str,
    /// The envelope's `type`, e.g. `StockAdjusted`.
    pub event_type: &'static str,
    /// The schema version writers produce today; versions `1..current` are upcast on read.
    pub current_schema: u32,
}

const fn entry(aggregate: &'static str, event_type: &'static str, current: u32) -> EventTypeInfo {
    EventTypeInfo {
        aggregate,
        event_type,
        current_schema: current,
    }
}

/// Every event type, grouped by aggregate.
///
/// Adding a variant to a domain event enum means adding it here at version 1; changing a
/// payload's shape means bumping its version here and adding an upcaster.
pub static EVENT_TYPES: &[EventTypeInfo] = &[
    // inventory
    entry("inventory", "SkuRegistered", 1),
    entry("inventory", "StockReceived", 1),
    entry("inventory", "StockAdjusted", 2),
    entry("inventory", "LowStockThresholdSet", 1),
    entry("inventory", "StockReserved", 1),
    entry("inventory", "StockReservationRejected", 1),
    entry("inventory", "ReservationReleased", 1),
    entry("inventory", "StockCommitted", 1),
    entry("inventory", "ReservationExpired", 1),
    entry("inventory", "StockRestocked", 1),
    entry("inventory", "LowStockReached", 1),
    entry("inventory", "BackInStock", 1),
    // product
    entry("product", "ProductCreated", 1),
    entry("product", "ProductDetailsUpdated", 1),
    entry("product", "VariantAdded", 1),
    entry("product", "VariantPriceChanged", 1),
    entry("product", "VariantRetired", 1),
    entry("product", "ProductPublished", 1),
    entry("product", "ProductUnpublished", 1),
    entry("product", "ProductDeleted", 1),
    // customer
    entry("customer", "CustomerRegistered", 1),
    entry("customer", "ProfileUpdated", 1),
    entry("customer", "PasswordChanged", 1),
    entry("customer", "AddressAdded", 1),
    entry("customer", "AddressUpdated", 1),
    entry("customer", "AddressRemoved", 1),
    entry("customer", "DefaultAddressSet", 1),
    entry("customer", "RoleChanged", 1),
    entry("customer", "CustomerDeactivated", 1),
    // email
    entry("email", "EmailClaimed", 1),
    entry("email", "EmailReleased", 1),
    // cart
    entry("cart", "CartCreated", 1),
    entry("cart", "CartLineAdded", 1),
    entry("cart", "CartLineQuantityChanged", 1),
    entry("cart", "CartLineRemoved", 1),
    entry("cart", "CouponApplied", 1),
    entry("cart", "CouponRemoved", 1),
    entry("cart", "CartMerged", 1),
    entry("cart", "CartCleared", 1),
    // order
    entry("order", "OrderPlaced", 1),
    entry("order", "OrderLineReserved", 1),
    entry("order", "OrderLineRefused", 1),
    entry("order", "OrderCouponRedeemed", 1),
    entry("order", "OrderConfirmed", 1),
    entry("order", "OrderRejected", 1),
    entry("order", "LateReservationRecorded", 1),
    entry("order", "LateCouponRedemptionRecorded", 1),
    entry("order", "OrderPaid", 1),
    entry("order", "OrderCancelled", 1),
    entry("order", "OrderShipped", 1),
    entry("order", "OrderDelivered", 1),
    entry("order", "OrderRefunded", 1),
    // payment
    entry("payment", "PaymentInitiated", 1),
    entry("payment", "PaymentAuthorized", 1),
    entry("payment", "PaymentCaptured", 1),
    entry("payment", "PaymentDeclined", 1),
    entry("payment", "PaymentFailed", 1),
    entry("payment", "PaymentRefunded", 1),
    // coupon
    entry("coupon", "CouponCreated", 1),
    entry("coupon", "CouponRedeemed", 1),
    entry("coupon", "CouponRedemptionRefused", 1),
    entry("coupon", "CouponRedemptionReleased", 1),
    entry("coupon", "CouponDisabled", 1),
];

/// The registry entry of `event_type`, if Agora knows it.
pub fn lookup(event_type: &str) -> Option<&'static EventTypeInfo> {
    EVENT_TYPES
        .iter()
        .find(|info| info.event_type == event_type)
}

/// The version writers produce today for `event_type`.
pub fn current_schema(event_type: &str) -> Option<u32> {
    lookup(event_type).map(|info| info.current_schema)
}

/// The event types of one aggregate kind, in registry order.
pub fn of_aggregate(aggregate: &str) -> impl Iterator<Item = &'static EventTypeInfo> + '_ {
    EVENT_TYPES
        .iter()
        .filter(move |info| info.aggregate == aggregate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn event_type_names_are_unique_across_aggregates() {
        let mut seen = BTreeSet::new();
        for info in EVENT_TYPES {
            assert!(
                seen.insert(info.event_type),
                "event type {} is registered twice",
                info.event_type
            );
        }
    }

    #[test]
    fn every_current_schema_is_at_least_version_one() {
        for info in EVENT_TYPES {
            assert!(
                info.current_schema >= 1,
                "{} has schema version 0",
                info.event_type
            );
        }
    }

    #[test]
    fn lookup_finds_a_registered_type_and_nothing_else() {
        let first = EVENT_TYPES.first().map(|info| info.event_type);
        if let Some(name) = first {
            assert_eq!(lookup(name).map(|info| info.event_type), Some(name));
        }
        assert_eq!(lookup("NoSuchEventHappened"), None);
        assert_eq!(current_schema("NoSuchEventHappened"), None);
    }
}
