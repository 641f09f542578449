-- The notifications reactor: its outbox and sent log (`notifications`), and what it keeps to
-- address mails without waiting for other projections (recipients, orders, payments).
--
-- None of these tables is derived state: they are deliberately absent from `DERIVED_TABLES`,
-- so the epoch reset of `agora-projector migrate` leaves them alone. The reactor's checkpoint
-- (projection `notifications`) is reset like every other; the replay from offset 0 then
-- recomputes the same notification ids (UUIDv5 of event id and kind; event ids survive a
-- restore) and inserts nothing: a rebuild never resends.

-- Customers' addresses, from customer events. `stream_version` orders updates so a replay of
-- older events never overwrites newer values.
CREATE TABLE notification_recipients (
    customer_id    uuid    PRIMARY KEY,
    email          text    NOT NULL,
    display_name   text    NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    stream_version bigint  NOT NULL
);

-- Placed orders: who bought, and the total the confirmation quotes.
CREATE TABLE notification_orders (
    order_id    uuid   PRIMARY KEY,
    customer_id uuid   NOT NULL,
    total_minor bigint NOT NULL,
    currency    text   NOT NULL
);

-- Payments: which order a refund concerns.
CREATE TABLE notification_payments (
    payment_id uuid PRIMARY KEY,
    order_id   uuid NOT NULL
);

-- One row per e-mail, ever. `pending` rows are the outbox; `sent`, `failed` and `skipped` rows
-- are the history the query side reads (by customer, newest first).
CREATE TABLE notifications (
    -- UUIDv5(event_id, kind); also the e-mail's Message-ID.
    notification_id uuid        PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('welcome', 'order_confirmed',
                                    'order_shipped', 'order_cancelled', 'refund', 'low_stock')),
    -- The customer it goes to; NULL for staff mails, and until a refunded order is known.
    customer_id     uuid        NULL,
    -- The address: set when decided if known, else when sent (the customer's address then).
    recipient       text        NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    event_id        uuid        NOT NULL,
    order_id        uuid        NULL,
    sku             text        NULL,
    -- When the causing event happened (not when the row was written), so history reads in
    -- business order and a rebuild would yield the same value.
    created_at      timestamptz NOT NULL,
    -- pending: to send; sent: the SMTP server accepted it; failed: refused for good or out of
    -- attempts; skipped: the event was too old when first seen (AGORA_NOTIFY_MAX_AGE_SECS).
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz NULL,
    last_error      text        NULL
);

CREATE INDEX notifications_customer_idx ON notifications (customer_id, created_at DESC);
CREATE INDEX notifications_created_idx ON notifications (created_at DESC);
CREATE INDEX notifications_order_idx ON notifications (order_id) WHERE order_id IS NOT NULL;
-- The sender's queue.
CREATE INDEX notifications_pending_idx ON notifications (next_attempt_at) WHERE status = 'pending';
