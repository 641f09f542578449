-- Coupons read model, with one row per order's redemption.
--
-- `redemptions` counts the active redemptions in `coupon_redemptions` (redeemed and not
-- released), the same figure the domain checks its limits against. Timestamps come from the
-- events.
CREATE TABLE coupons (
    code               text        PRIMARY KEY,
    kind               text        NOT NULL CHECK (kind IN ('percentage', 'fixed_amount')),
    -- Basis points for a percentage (1000 = 10 %), minor units for a fixed amount.
    value              bigint      NOT NULL,
    -- Currency of a fixed amount or of the minimum order value; NULL when neither has one.
    currency           text        NULL,
    min_order_minor    bigint      NULL,
    valid_from         timestamptz NOT NULL,
    valid_until        timestamptz NOT NULL,
    global_limit       int         NULL,
    per_customer_limit int         NULL,
    redemptions        int         NOT NULL DEFAULT 0,
    active             boolean     NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    stream_version     bigint      NOT NULL
);

CREATE TABLE coupon_redemptions (
    code           text        NOT NULL REFERENCES coupons (code),
    order_id       uuid        NOT NULL,
    customer_id    uuid        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('active', 'released', 'refused')),
    discount_minor bigint      NULL,
    -- The refusal reason for a refused one.
    reason         text        NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (code, order_id)
);

CREATE INDEX coupon_redemptions_customer_idx ON coupon_redemptions (customer_id, code);
