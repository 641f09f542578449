-- Units and revenue placed per day and SKU, computed at query time from deduplicated facts.
--
-- A view, not a materialized rollup: a materialized view sees every insert, duplicates
-- included, before any merge, so it would count a batch replayed after a crash twice. Here
-- FINAL keeps one row per (sku, occurred_at, event_id, line) whatever merges have run, so a
-- re-inserted batch changes nothing. revenue_minor is before order-level discounts; orders
-- that were later rejected or cancelled still count (join order_facts to exclude them).
CREATE VIEW IF NOT EXISTS sales_daily AS
SELECT
    toDate(occurred_at)   AS day,
    sku                   AS sale_sku,
    product_id            AS sale_product_id,
    currency              AS sale_currency,
    uniqExact(order_id)   AS orders,
    sum(quantity)         AS units,
    sum(line_total_minor) AS revenue_minor
FROM order_line_facts FINAL
GROUP BY day, sale_sku, sale_product_id, sale_currency
