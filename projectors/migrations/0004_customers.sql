-- Customers read model: profile, login data, role, address book and order statistics.
--
-- Profile columns come from customer events. `password_hash` is copied on purpose: the command
-- API's identity endpoints log in against this table (the log stays the source of truth).
-- `addresses` is a JSON array of `{"address_id": …, <Address fields>}` sorted by address_id,
-- as the domain keeps them. `order_count` and `lifetime_value_minor` are recomputed from
-- `orders` by the orders projection (orders paid for and not cancelled; what they paid minus
-- what was refunded), so they are the same whichever projection runs first.
--
-- Every timestamp comes from the events (`occurred_at`), never from the clock, so a rebuild
-- from offset 0 yields identical rows.
CREATE TABLE customers (
    customer_id          uuid        PRIMARY KEY,
    -- Normalized (trimmed, lowercased) by the domain's Email type.
    email                text        NOT NULL,
    display_name         text        NOT NULL,
    password_hash        text        NOT NULL,
    role                 text        NOT NULL CHECK (role IN ('customer', 'staff', 'admin')),
    active               boolean     NOT NULL DEFAULT true,
    addresses            jsonb       NOT NULL DEFAULT '[]'::jsonb,
    default_address_id   uuid        NULL,
    order_count          int         NOT NULL DEFAULT 0,
    lifetime_value_minor bigint      NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    stream_version       bigint      NOT NULL
);

CREATE INDEX customers_role_idx ON customers (role, customer_id);

-- One active account per e-mail (the EmailClaim aggregate guarantees it on the write side);
-- a deactivated account releases its address, so an old row may share it with a new one.
CREATE UNIQUE INDEX customers_active_email ON customers (email) WHERE active;
