-- Churn by group (客户流失率): of the customers who were active at $start (a completed purchase in the
-- $active_days days up to $start), how many bought again in ($start, $as_of] and how many did not (churned).
-- {by} is a column of customers (e.g. acquisition_channel) or first_channel (the sales channel of the first purchase).
WITH days AS (
    SELECT o.customer_id, CAST(o.order_ts AS DATE) AS d, o.order_ts, o.channel
    FROM orders o WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of
), per_customer AS (
    SELECT customer_id,
           max(d) FILTER (WHERE d <= $start) AS last_before,
           count(*) FILTER (WHERE d > $start) AS orders_after,
           arg_min(channel, order_ts) AS first_channel
    FROM days GROUP BY 1
)
SELECT CAST(coalesce(CAST({by} AS VARCHAR), '(unknown)') AS VARCHAR) AS "group",
       count(*) AS active_at_start,
       count(*) FILTER (WHERE p.orders_after > 0) AS retained,
       count(*) FILTER (WHERE p.orders_after = 0) AS churned,
       count(*) FILTER (WHERE p.orders_after = 0) / count(*) AS churn_rate
FROM per_customer p JOIN customers c USING (customer_id)
WHERE p.last_before IS NOT NULL AND p.last_before > CAST($start AS DATE) - $active_days - 1
  AND NOT coalesce(c.is_test, false)
GROUP BY 1
ORDER BY churn_rate DESC
