-- Revenue, margin, orders and buying customers by a property of the order or of the customer (收益的分解),
-- optionally per period. {dim} is a Raw SQL expression over o (orders), c (customers) and s (the registered
-- customer-level table _segments, when given); {period_expr} a Raw expression (the period of o.order_ts, or NULL).
-- Revenue is net of discounts and returns; cancelled orders are left out. Parameters: $as_of, $start.
SELECT {period_expr} AS period,
       CAST(coalesce(CAST({dim} AS VARCHAR), '(unknown)') AS VARCHAR) AS "group",
       sum(o.net_amount) AS revenue,
       sum(o.net_amount - o.cost) AS margin,
       count(*) FILTER (WHERE o.status = 'completed') AS orders,
       count(DISTINCT o.customer_id) FILTER (WHERE o.status = 'completed') AS customers
FROM orders o JOIN customers c USING (customer_id) {segment_join}
WHERE o.status <> 'cancelled' AND CAST(o.order_ts AS DATE) <= $as_of AND CAST(o.order_ts AS DATE) >= $start
  AND NOT coalesce(c.is_test, false)
GROUP BY ALL
ORDER BY 1, revenue DESC
