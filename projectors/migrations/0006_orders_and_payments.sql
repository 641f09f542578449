-- Orders (with lines and status history) and payments read models.
--
-- `orders.payment_id` and `payment_status` mirror the order's current payment in `payments`:
-- a captured (or refunded) one if any, else the latest initiated. Both projections recompute
-- them from the committed rows under one advisory lock, so the result does not depend on which
-- projection got ahead. Timestamps come from the events; `orders.updated_at` is the time of
-- the order's own latest event (a payment changing `payment_status` does not move it, which
-- keeps it independent of the order in which the two projections ran).
CREATE TABLE orders (
    order_id         uuid        PRIMARY KEY,
    customer_id      uuid        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('placed', 'confirmed', 'paid',
                         'shipped', 'delivered', 'rejected', 'cancelled', 'refunded')),
    subtotal_minor   bigint      NOT NULL,
    discount_minor   bigint      NOT NULL,
    total_minor      bigint      NOT NULL,
    currency         text        NOT NULL,
    coupon_code      text        NULL,
    coupon_redeemed  boolean     NOT NULL DEFAULT false,
    shipping_address jsonb       NOT NULL,
    payment_id       uuid        NULL,
    payment_status   text        NULL,
    -- Captured for this order (OrderPaid) and refunded so far (OrderRefunded).
    paid_minor       bigint      NOT NULL DEFAULT 0,
    refunded_minor   bigint      NOT NULL DEFAULT 0,
    -- Set by OrderCancelled: what a paid order owes back.
    refund_due_minor bigint      NOT NULL DEFAULT 0,
    reject_reason    text        NULL,
    cancel_reason    text        NULL,
    carrier          text        NULL,
    tracking_number  text        NULL,
    placed_at        timestamptz NOT NULL,
    paid_at          timestamptz NULL,
    updated_at       timestamptz NOT NULL,
    stream_version   bigint      NOT NULL
);

-- "My orders", newest first, and the admin list by status.
CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at DESC);
CREATE INDEX orders_status_idx ON orders (status, placed_at DESC);

CREATE TABLE order_lines (
    order_id         uuid   NOT NULL REFERENCES orders (order_id),
    line             int    NOT NULL,
    sku              text   NOT NULL,
    product_id       uuid   NOT NULL,
    quantity         int    NOT NULL,
    unit_price_minor bigint NOT NULL,
    currency         text   NOT NULL,
    -- What the order recorded for the line's stock: a late reservation after a rejection or
    -- cancellation (released by the saga) leaves the line as it was.
    state            text   NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'reserved', 'refused')),
    PRIMARY KEY (order_id, line)
);

-- One row per event that moves an order's status (placed, confirmed, rejected, paid,
-- cancelled, shipped, delivered) and per refund (a partial one keeps the status), keyed by
-- the event's stream version. Line and coupon bookkeeping events are not history.
CREATE TABLE order_status_history (
    order_id    uuid        NOT NULL REFERENCES orders (order_id),
    version     bigint      NOT NULL,
    status      text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (order_id, version)
);

CREATE TABLE payments (
    payment_id         uuid        PRIMARY KEY,
    order_id           uuid        NOT NULL,
    status             text        NOT NULL CHECK (status IN ('initiated', 'authorized',
                           'captured', 'declined', 'failed', 'refunded')),
    amount_minor       bigint      NOT NULL,
    authorized_minor   bigint      NOT NULL DEFAULT 0,
    captured_minor     bigint      NOT NULL DEFAULT 0,
    refunded_minor     bigint      NOT NULL DEFAULT 0,
    currency           text        NOT NULL,
    method             text        NOT NULL,
    provider_reference text        NULL,
    -- The provider's reason for the latest decline or failure.
    failure_reason     text        NULL,
    initiated_at       timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    stream_version     bigint      NOT NULL
);

CREATE INDEX payments_order_idx ON payments (order_id, initiated_at DESC);
