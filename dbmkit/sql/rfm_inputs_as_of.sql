-- The three RFM inputs of the customer summary (as customer_summary_db.sql computes them: days_since_last from
-- completed purchases, n_orders = completed orders, monetary_total = net amount of all but cancelled orders) as of
-- several dates at once — the dates are the table {dates} (column as_of) — in one pass over the orders instead of one
-- customer summary per date. The same customers as customer_summary_db: at least one completed purchase by the
-- date, not a test account.
WITH agg AS (
    SELECT d.as_of, o.customer_id,
           max(CAST(o.order_ts AS DATE)) FILTER (WHERE o.status = 'completed') AS last_day,
           count(*) FILTER (WHERE o.status = 'completed') AS n_orders,
           sum(o.net_amount) FILTER (WHERE o.status <> 'cancelled') AS monetary_total
    FROM orders o JOIN {dates} d ON CAST(o.order_ts AS DATE) <= d.as_of
    GROUP BY 1, 2
)
SELECT a.as_of, a.customer_id, datediff('day', a.last_day, a.as_of) AS days_since_last, a.n_orders,
       a.monetary_total
FROM agg a JOIN customers c USING (customer_id)
WHERE a.n_orders > 0 AND NOT coalesce(c.is_test, false)
ORDER BY a.as_of, a.customer_id
