-- Order line facts: one row per line of each OrderPlaced, keyed by (event_id, line).
--
-- line_total_minor = unit_price_minor × quantity, before any order-level discount (discounts
-- are per order: see order_facts). Duplicates collapse as in order_facts; read with FINAL.
CREATE TABLE IF NOT EXISTS order_line_facts (
    event_id         UUID,
    occurred_at      DateTime,
    order_id         UUID,
    customer_id      UUID,
    line             UInt32,
    sku              String,
    product_id       UUID,
    quantity         UInt32,
    unit_price_minor Int64,
    line_total_minor Int64,
    currency         String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (sku, occurred_at, event_id, line)
