-- Carts read model: one row per cart and one per line (price snapshots for display; checkout
-- re-prices from the catalog). Timestamps come from the events.
CREATE TABLE carts (
    cart_id        uuid        PRIMARY KEY,
    -- NULL for a guest cart.
    customer_id    uuid        NULL,
    coupon_code    text        NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    stream_version bigint      NOT NULL
);

CREATE INDEX carts_customer_idx ON carts (customer_id, updated_at) WHERE customer_id IS NOT NULL;

CREATE TABLE cart_lines (
    cart_id          uuid   NOT NULL REFERENCES carts (cart_id),
    sku              text   NOT NULL,
    product_id       uuid   NOT NULL,
    quantity         int    NOT NULL CHECK (quantity > 0),
    unit_price_minor bigint NOT NULL,
    currency         text   NOT NULL,
    PRIMARY KEY (cart_id, sku)
);
