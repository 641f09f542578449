-- Carts created → orders placed → orders paid, per day, counted from deduplicated facts.
--
-- Each step counts distinct carts or orders (uniqExact over their ids), which a replayed batch
-- cannot change, and reads its facts with FINAL as well. The day of each step is the day that
-- step happened, so a cart created late on one day may place its order the next.
CREATE VIEW IF NOT EXISTS funnel_daily AS
SELECT
    step_day        AS day,
    sum(carts)      AS carts_created,
    sum(placed)     AS orders_placed,
    sum(paid)       AS orders_paid
FROM (
    SELECT toDate(occurred_at) AS step_day, uniqExact(cart_id) AS carts,
           toUInt64(0) AS placed, toUInt64(0) AS paid
    FROM cart_facts FINAL
    WHERE action = 'created'
    GROUP BY step_day
    UNION ALL
    SELECT toDate(occurred_at) AS step_day, toUInt64(0) AS carts,
           uniqExactIf(order_id, status = 'placed') AS placed,
           uniqExactIf(order_id, status = 'paid') AS paid
    FROM order_facts FINAL
    GROUP BY step_day
)
GROUP BY day
