-- Monthly net revenue, orders and buying customers, optionally split by a column of orders (e.g. channel).
-- Parameters: {by} — a column of orders or the literal 'all'. Orders without a value of {by} are '(unknown)'
-- (their revenue stays in the total).
SELECT date_trunc('month', order_ts) AS month,
       CAST(coalesce(CAST({by} AS VARCHAR), '(unknown)') AS VARCHAR) AS "group",
       sum(net_amount) FILTER (WHERE status <> 'cancelled') AS revenue,
       count(*) FILTER (WHERE status = 'completed') AS orders,
       count(DISTINCT customer_id) FILTER (WHERE status = 'completed') AS customers
FROM orders
GROUP BY ALL
ORDER BY month, "group"
