-- Cart facts: one row per cart event that shapes the basket, keyed by (event_id, sku).
--
-- action: created, line_added, line_quantity_changed, line_removed, merged (one row per line
-- taken over from the merged cart) or cleared. customer_id is nil for anonymous carts (no
-- Nullable: the table stays valid on ClickHouse 18.16). quantity is the line's quantity after
-- the event (0 when removed), added the units this event added (line_added and merged rows).
-- product_id and unit price are known on added and merged rows only. Duplicates collapse as in
-- order_facts; read with FINAL.
CREATE TABLE IF NOT EXISTS cart_facts (
    event_id         UUID,
    occurred_at      DateTime,
    cart_id          UUID,
    customer_id      UUID,
    action           String,
    sku              String,
    product_id       UUID,
    quantity         UInt32,
    added            UInt32,
    unit_price_minor Int64,
    currency         String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (cart_id, occurred_at, event_id, sku)
