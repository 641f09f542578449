-- Order facts: one row per order event that sets the order's status, keyed by event_id.
--
-- status: placed, confirmed, rejected, paid, cancelled, shipped, delivered or refunded.
-- customer_id, subtotal/discount/total and currency repeat the placement on every row (the
-- projector remembers them per order), so a row reads on its own. amount_minor is what the
-- event itself moved: the total at placement, the amount paid, the refund due on cancellation,
-- the amount of one refund (a refund row may be partial), 0 otherwise.
--
-- Every column is a pure function of the log, so a row inserted twice (a crash between facts
-- and position) is the same row twice and collapses under ReplacingMergeTree; read with FINAL.
CREATE TABLE IF NOT EXISTS order_facts (
    event_id       UUID,
    occurred_at    DateTime,
    order_id       UUID,
    customer_id    UUID,
    status         String,
    subtotal_minor Int64,
    discount_minor Int64,
    total_minor    Int64,
    amount_minor   Int64,
    currency       String,
    stream_version UInt64,
    partition      Int32,
    offset         Int64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (order_id, occurred_at, event_id)
