-- Revenue decomposition by period (收益的分解): revenue = buying customers × orders per customer × average order
-- value, with the split between new and returning customers. Revenue is net of discounts and returns (returns
-- count in the period they happen); orders and customers count completed purchases.
-- Parameters: {period} — 'month', 'quarter' or 'year' (a Raw literal); $as_of.
WITH o AS (
    SELECT o.customer_id, o.order_ts, o.status, o.net_amount, o.cost, date_trunc({period}, o.order_ts) AS period
    FROM orders o JOIN customers c USING (customer_id)
    WHERE o.status <> 'cancelled' AND CAST(o.order_ts AS DATE) <= $as_of AND NOT coalesce(c.is_test, false)
), firsts AS (
    SELECT customer_id, date_trunc({period}, min(order_ts)) AS first_period
    FROM o WHERE status = 'completed' GROUP BY 1
)
SELECT CAST(o.period AS DATE) AS period,
       count(DISTINCT o.customer_id) FILTER (WHERE o.status = 'completed') AS customers,
       count(*) FILTER (WHERE o.status = 'completed') AS orders,
       sum(o.net_amount) AS revenue,
       sum(o.net_amount - o.cost) AS margin,
       count(DISTINCT o.customer_id) FILTER (WHERE o.status = 'completed' AND f.first_period = o.period) AS new_customers,
       coalesce(sum(o.net_amount) FILTER (WHERE f.first_period = o.period), 0) AS revenue_new,
       coalesce(sum(o.net_amount) FILTER (WHERE f.first_period IS NULL OR f.first_period < o.period), 0) AS revenue_returning
FROM o LEFT JOIN firsts f USING (customer_id)
GROUP BY 1
ORDER BY 1
