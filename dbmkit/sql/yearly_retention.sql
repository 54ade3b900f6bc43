-- Year-on-year retention of buyers as of $as_of: customers who bought in the year before last
-- ($as_of − 730 days, $as_of − 365 days] and whether they bought again in the last year ($as_of − 365 days, $as_of],
-- with their margin (net revenue − cost, net of returns) in each year. One row per customer of the earlier year.
WITH yearly AS (
    SELECT customer_id,
           CASE WHEN CAST(order_ts AS DATE) > $as_of - INTERVAL 365 DAY THEN 1 ELSE 0 END AS last_year,
           count(*) FILTER (WHERE status = 'completed') AS orders,
           sum(net_amount - cost) AS margin, sum(net_amount) AS revenue
    FROM orders
    WHERE status <> 'cancelled' AND CAST(order_ts AS DATE) <= $as_of
      AND CAST(order_ts AS DATE) > $as_of - INTERVAL 730 DAY
    GROUP BY 1, 2
)
SELECT p.customer_id, p.orders AS orders_prev, p.margin AS margin_prev, p.revenue AS revenue_prev,
       coalesce(l.orders, 0) > 0 AS retained, coalesce(l.orders, 0) AS orders_last,
       coalesce(l.margin, 0) AS margin_last, coalesce(l.revenue, 0) AS revenue_last
FROM yearly p LEFT JOIN yearly l ON l.customer_id = p.customer_id AND l.last_year = 1
WHERE p.last_year = 0 AND p.orders > 0
ORDER BY p.customer_id
