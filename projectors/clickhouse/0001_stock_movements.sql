-- Stock movement facts: one row per quantity-changing inventory event, keyed by event_id.
--
-- ReplacingMergeTree collapses rows with the same sorting key. Every column is derived from the
-- log record alone, so a fact inserted twice (the projector crashed between inserting facts and
-- writing its position) is the same row twice and collapses; read with FINAL (or aggregate with
-- uniqExact(event_id)) to count each event once before merges catch up.
--
-- quantity: the units the event moved, signed as the change to the figure it moves:
--   received +q, adjusted +/-delta, committed -q, restocked +q  (change of on_hand)
--   reserved +q, released -q, expired -q                        (change of reserved)
-- on_hand_delta / reserved_delta: the signed change of each figure (a commit lowers both).
-- on_hand / reserved: the absolute figures after the event.
CREATE TABLE IF NOT EXISTS stock_movements (
    event_id       UUID,
    occurred_at    DateTime,
    sku            String,
    product_id     UUID,
    movement       String,
    quantity       Int64,
    on_hand_delta  Int64,
    reserved_delta Int64,
    on_hand        Int64,
    reserved       Int64,
    reason         String,
    order_id       UUID,
    line           UInt32,
    stream_version UInt64,
    partition      Int32,
    offset         Int64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (sku, occurred_at, event_id)
