-- Payment facts: one row per payment event, keyed by event_id.
--
-- kind: initiated, authorized, captured, declined, failed or refunded. order_id and currency
-- come from the initiation (the projector remembers them per payment). amount_minor is the
-- event's amount; declined and failed rows carry the amount that was attempted. reason is set
-- on declined and failed rows. Duplicates collapse as in order_facts; read with FINAL.
CREATE TABLE IF NOT EXISTS payment_facts (
    event_id     UUID,
    occurred_at  DateTime,
    payment_id   UUID,
    order_id     UUID,
    kind         String,
    amount_minor Int64,
    currency     String,
    method       String,
    reason       String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (payment_id, occurred_at, event_id)
