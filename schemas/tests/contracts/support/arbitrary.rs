//! proptest strategies for envelopes and domain events, built only through the domain's public
//! constructors so every generated value is one the domain could produce.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use domain::inventory::InventoryEvent;
use domain::product::{NewVariant, ProductEvent};
use domain::values::{Currency, Money, Sku};
use proptest::prelude::*;
use schemas::EventEnvelope;
use uuid::Uuid;

/// Any UUID (the codec must not care about versions).
pub fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

/// A UTC instant between 2000 and 2100 with millisecond to nanosecond precision.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800_i64..4_102_444_800, 0_u32..1_000_000_000).prop_map(|(secs, nanos)| {
        Utc.timestamp_opt(secs, nanos)
            .single()
            .unwrap_or_else(|| panic!("{secs}.{nanos} is in range by construction"))
    })
}

/// Free text, including non-ASCII and JSON-hostile characters.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,24}",
        any::<String>().prop_map(|s| s.chars().take(24).collect()),
        Just("quote \" backslash \\ newline \n tab \t".to_owned()),
    ]
}

pub fn sku() -> impl Strategy<Value = Sku> {
    "[a-zA-Z0-9-]{1,64}"
        .prop_map(|raw| Sku::parse(&raw).unwrap_or_else(|err| panic!("{raw}: {err}")))
}

pub fn money() -> impl Strategy<Value = Money> {
    (any::<i64>(), "[A-Za-z]{3}").prop_map(|(amount, code)| {
        let currency = Currency::parse(&code).unwrap_or_else(|err| panic!("{code}: {err}"));
        Money::new(amount, currency)
    })
}

fn attributes() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(text(), text(), 0..4)
}

fn variant() -> impl Strategy<Value = NewVariant> {
    (sku(), text(), money(), attributes()).prop_map(|(sku, name, price, attributes)| NewVariant {
        sku,
        name,
        price,
        attributes,
    })
}

pub fn inventory_event() -> impl Strategy<Value = InventoryEvent> {
    use InventoryEvent as E;
    let held = || {
        (
            uuid(),
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
        )
    };
    prop_oneof![
        (sku(), uuid(), any::<u32>()).prop_map(|(sku, product_id, low_stock_threshold)| {
            E::SkuRegistered {
                sku,
                product_id,
                low_stock_threshold,
            }
        }),
        (any::<u32>(), any::<u64>(), any::<u64>()).prop_map(|(quantity, on_hand, reserved)| {
            E::StockReceived {
                quantity,
                on_hand,
                reserved,
            }
        }),
        (any::<i64>(), text(), any::<u64>(), any::<u64>()).prop_map(
            |(delta, reason, on_hand, reserved)| {
                E::StockAdjusted {
                    delta,
                    reason,
                    on_hand,
                    reserved,
                }
            }
        ),
        any::<u32>().prop_map(|threshold| E::LowStockThresholdSet { threshold }),
        (held(), instant()).prop_map(
            |((order_id, line, quantity, on_hand, reserved), expires_at)| {
                E::StockReserved {
                    order_id,
                    line,
                    quantity,
                    expires_at,
                    on_hand,
                    reserved,
                }
            }
        ),
        (uuid(), any::<u32>(), any::<u32>(), any::<u64>()).prop_map(
            |(order_id, line, requested, available)| {
                E::StockReservationRejected {
                    order_id,
                    line,
                    requested,
                    available,
                }
            }
        ),
        held().prop_map(|(order_id, line, quantity, on_hand, reserved)| {
            E::ReservationReleased {
                order_id,
                line,
                quantity,
                on_hand,
                reserved,
            }
        }),
        held().prop_map(|(order_id, line, quantity, on_hand, reserved)| {
            E::StockCommitted {
                order_id,
                line,
                quantity,
                on_hand,
                reserved,
            }
        }),
        (held(), instant()).prop_map(
            |((order_id, line, quantity, on_hand, reserved), expires_at)| {
                E::ReservationExpired {
                    order_id,
                    line,
                    quantity,
                    expires_at,
                    on_hand,
                    reserved,
                }
            }
        ),
        held().prop_map(|(order_id, line, quantity, on_hand, reserved)| {
            E::StockRestocked {
                order_id,
                line,
                quantity,
                on_hand,
                reserved,
            }
        }),
        (any::<u64>(), any::<u32>()).prop_map(|(available, threshold)| E::LowStockReached {
            available,
            threshold
        }),
        (any::<u64>(), any::<u32>()).prop_map(|(available, threshold)| E::BackInStock {
            available,
            threshold
        }),
    ]
}

pub fn product_event() -> impl Strategy<Value = ProductEvent> {
    use ProductEvent as E;
    let opt_text = || proptest::option::of(text());
    prop_oneof![
        (
            uuid(),
            (text(), text(), text()),
            (text(), text()),
            attributes(),
            proptest::collection::vec(variant(), 0..4)
        )
            .prop_map(
                |(
                    product_id,
                    (name, slug, description),
                    (category, brand),
                    attributes,
                    variants,
                )| {
                    E::ProductCreated {
                        product_id,
                        name,
                        slug,
                        description,
                        category,
                        brand,
                        attributes,
                        variants,
                    }
                }
            ),
        (
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            proptest::option::of(attributes())
        )
            .prop_map(|(name, description, category, brand, attributes)| {
                E::ProductDetailsUpdated {
                    name,
                    description,
                    category,
                    brand,
                    attributes,
                }
            }),
        variant().prop_map(|variant| E::VariantAdded { variant }),
        (sku(), money(), money()).prop_map(|(sku, previous_price, price)| E::VariantPriceChanged {
            sku,
            previous_price,
            price
        }),
        sku().prop_map(|sku| E::VariantRetired { sku }),
        Just(E::ProductPublished {}),
        Just(E::ProductUnpublished {}),
        Just(E::ProductDeleted {}),
    ]
}

/// An envelope with arbitrary metadata and a JSON payload of arbitrary shape.
pub fn envelope() -> impl Strategy<Value = EventEnvelope> {
    (
        (uuid(), text(), any::<u64>(), text(), any::<u32>()),
        (instant(), uuid(), uuid(), uuid(), text()),
        json_value(),
    )
        .prop_map(
            |(
                (event_id, stream, version, event_type, schema),
                (occurred_at, command_id, correlation_id, causation_id, actor),
                data,
            )| {
                EventEnvelope {
                    event_id,
                    stream,
                    version,
                    event_type,
                    schema,
                    occurred_at,
                    command_id,
                    correlation_id,
                    causation_id,
                    actor,
                    data,
                }
            },
        )
}

/// JSON values a few levels deep; numbers are integers so equality after a round trip is exact.
pub fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Wraps an encoded event in an envelope of a stream of aggregate `kind`.
pub fn envelope_for(
    kind: &str,
    (event_type, schema, data): (String, u32, serde_json::Value),
    meta: &EventEnvelope,
) -> EventEnvelope {
    EventEnvelope {
        stream: format!("{kind}-{}", meta.event_id),
        event_type,
        schema,
        data,
        ..meta.clone()
    }
}
