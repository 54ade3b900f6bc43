-- Revenue and margin by product, subcategory or category (收益的分解 per product), optionally per period, from
-- the order lines. Line revenue = quantity × unit_price − discount; a return without its own lines takes the lines
-- of the original order, scaled to the returned amount. Cancelled orders are left out.
-- {dim} is a Raw expression over p (products); {period_expr} as in revenue_by_order (over l.order_ts). Parameters: $as_of, $start.
WITH o AS (
    SELECT o.* FROM orders o JOIN customers c USING (customer_id)
    WHERE o.status <> 'cancelled' AND CAST(o.order_ts AS DATE) <= $as_of AND CAST(o.order_ts AS DATE) >= $start
      AND NOT coalesce(c.is_test, false)
), own_lines AS (
    SELECT o.order_id, o.order_ts, o.customer_id, o.status, i.product_id, i.quantity,
           i.quantity * i.unit_price - coalesce(i.discount, 0) AS line_revenue
    FROM o JOIN order_items i ON i.order_id = o.order_id
), orig_total AS (
    SELECT i.order_id, sum(i.quantity * i.unit_price - coalesce(i.discount, 0)) AS total
    FROM order_items i GROUP BY 1
), return_lines AS (
    SELECT o.order_id, o.order_ts, o.customer_id, o.status, i.product_id,
           i.quantity * o.net_amount / nullif(t.total, 0) AS quantity,
           (i.quantity * i.unit_price - coalesce(i.discount, 0)) * o.net_amount / nullif(t.total, 0) AS line_revenue
    FROM o JOIN order_items i ON i.order_id = o.original_order_id JOIN orig_total t ON t.order_id = o.original_order_id
    WHERE o.status = 'returned' AND NOT EXISTS (SELECT 1 FROM order_items x WHERE x.order_id = o.order_id)
), lines AS (
    SELECT * FROM own_lines UNION ALL SELECT * FROM return_lines
)
SELECT {period_expr} AS period,
       CAST(coalesce(CAST({dim} AS VARCHAR), '(unknown)') AS VARCHAR) AS "group",
       sum(l.line_revenue) AS revenue,
       sum(l.line_revenue - l.quantity * coalesce(p.unit_cost, 0)) AS margin,
       count(DISTINCT l.order_id) FILTER (WHERE l.status = 'completed') AS orders,
       count(DISTINCT l.customer_id) FILTER (WHERE l.status = 'completed') AS customers,
       sum(l.quantity) FILTER (WHERE l.status = 'completed') AS units
FROM lines l LEFT JOIN products p USING (product_id)
GROUP BY ALL
ORDER BY 1, revenue DESC
