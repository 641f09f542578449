-- Inventory availability per SKU.
--
-- Events carry the absolute `on_hand` and `reserved` after each change, so rows are upserted
-- from them; `available` and `low_stock` are derived here with the domain's definitions
-- (available = on_hand - reserved; low = available <= threshold).
CREATE TABLE inventory_items (
    sku                 text        PRIMARY KEY,
    product_id          uuid        NULL,
    on_hand             bigint      NOT NULL DEFAULT 0,
    reserved            bigint      NOT NULL DEFAULT 0,
    available           bigint      GENERATED ALWAYS AS (on_hand - reserved) STORED,
    low_stock_threshold bigint      NOT NULL DEFAULT 0,
    low_stock           boolean     GENERATED ALWAYS AS (on_hand - reserved <= low_stock_threshold) STORED,
    updated_at          timestamptz NOT NULL,
    stream_version      bigint      NOT NULL
);

-- The admin "running low" list: only low items are indexed, lowest availability first.
CREATE INDEX inventory_items_low_stock_idx ON inventory_items (available, sku) WHERE low_stock;
CREATE INDEX inventory_items_product_idx ON inventory_items (product_id);
