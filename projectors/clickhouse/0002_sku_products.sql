-- Which product each SKU belongs to, from SkuRegistered. Only registration names the product,
-- so the projector keeps this map here (beside the facts, under the same position) and loads it
-- on start to fill stock_movements.product_id.
CREATE TABLE IF NOT EXISTS sku_products (
    sku           String,
    product_id    UUID,
    registered_at DateTime,
    event_id      UUID
) ENGINE = ReplacingMergeTree
ORDER BY sku
