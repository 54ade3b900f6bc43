-- Customers over time (客户数量的变化): each month's flows (new, reactivated, newly inactive, newly long inactive)
-- and the stocks at month end (active, inactive, long_inactive) from completed purchase days up to $as_of.
-- A customer is active (活跃客户) while the last purchase is at most $active_days days ago, inactive (不活跃) up to
-- $long_inactive_days days, long inactive (长期不活跃) after that (docs/GLOSSARY.md: activity status; these are not
-- the lifecycle stages of chapter 24). The stocks are cumulative sums of state changes, so the query is linear in
-- purchase days.
-- Parameters: $as_of (DATE), $active_days, $long_inactive_days (INTEGER, long_inactive_days > active_days).
WITH days AS (
    SELECT DISTINCT o.customer_id, CAST(o.order_ts AS DATE) AS d
    FROM orders o JOIN customers c USING (customer_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of AND NOT coalesce(c.is_test, false)
), seq AS (
    SELECT customer_id, d,
           lag(d) OVER (PARTITION BY customer_id ORDER BY d) AS prev_d,
           lead(d) OVER (PARTITION BY customer_id ORDER BY d) AS next_d
    FROM days
), events AS (
    -- first purchase: a new active customer
    SELECT d AS day, 1 AS d_active, 0 AS d_inactive, 0 AS d_long_inactive, 'new' AS kind FROM seq WHERE prev_d IS NULL
    UNION ALL
    -- no purchase for more than active_days: active -> inactive on the following day
    SELECT d + ($active_days + 1), -1, 1, 0, 'inactive' FROM seq
    WHERE next_d IS NULL OR next_d > d + ($active_days + 1)
    UNION ALL
    -- no purchase for more than long_inactive_days: inactive -> long inactive
    SELECT d + ($long_inactive_days + 1), 0, -1, 1, 'long_inactive' FROM seq
    WHERE next_d IS NULL OR next_d > d + ($long_inactive_days + 1)
    UNION ALL
    -- a purchase after a long gap: back to active (from inactive or long inactive)
    SELECT d, 1, CASE WHEN d > prev_d + ($long_inactive_days + 1) THEN 0 ELSE -1 END,
           CASE WHEN d > prev_d + ($long_inactive_days + 1) THEN -1 ELSE 0 END, 'reactivated'
    FROM seq WHERE prev_d IS NOT NULL AND d > prev_d + ($active_days + 1)
), monthly AS (
    SELECT date_trunc('month', day) AS month,
           count(*) FILTER (WHERE kind = 'new') AS new_customers,
           count(*) FILTER (WHERE kind = 'reactivated') AS reactivated,
           count(*) FILTER (WHERE kind = 'inactive') AS newly_inactive,
           count(*) FILTER (WHERE kind = 'long_inactive') AS newly_long_inactive,
           sum(d_active) AS d_active, sum(d_inactive) AS d_inactive, sum(d_long_inactive) AS d_long_inactive
    FROM events WHERE day <= $as_of GROUP BY 1
), months AS (
    -- generate_series (end included) in a subquery, not range() as a table: the portable form (Spark: sequence)
    SELECT CAST(m AS DATE) AS month
    FROM (SELECT unnest(generate_series(CAST((SELECT min(date_trunc('month', d)) FROM days) AS TIMESTAMP),
                                        CAST(date_trunc('month', CAST($as_of AS DATE)) AS TIMESTAMP),
                                        INTERVAL 1 MONTH)) AS m) t
)
SELECT s.month,
       coalesce(m.new_customers, 0) AS new_customers,
       coalesce(m.reactivated, 0) AS reactivated,
       coalesce(m.newly_inactive, 0) AS newly_inactive,
       coalesce(m.newly_long_inactive, 0) AS newly_long_inactive,
       CAST(sum(coalesce(m.d_active, 0)) OVER w AS BIGINT) AS active,
       CAST(sum(coalesce(m.d_inactive, 0)) OVER w AS BIGINT) AS inactive,
       CAST(sum(coalesce(m.d_long_inactive, 0)) OVER w AS BIGINT) AS long_inactive
FROM months s LEFT JOIN monthly m ON m.month = s.month
WINDOW w AS (ORDER BY s.month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY s.month
