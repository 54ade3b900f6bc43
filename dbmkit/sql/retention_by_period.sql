-- Retention and churn (客户流失率) per period: of the customers who bought in the previous period, how many bought
-- again in this one. Periods are counted back from the analysis date ($as_of), $days long each, so the last one
-- ends on the analysis date and every period is complete. New = first purchase ever in the period.
WITH p AS (
    SELECT DISTINCT customer_id,
           CAST(floor(date_diff('second', order_ts, $as_of + INTERVAL 1 DAY) / 86400.0 / $days) AS BIGINT) AS k
    FROM orders WHERE status = 'completed' AND order_ts < $as_of + INTERVAL 1 DAY
),
firsts AS (SELECT customer_id, max(k) AS first_k FROM p GROUP BY 1),
act AS (SELECT k, count(*) AS active FROM p GROUP BY 1),
new AS (SELECT first_k AS k, count(*) AS new_customers FROM firsts GROUP BY 1),
ret AS (
    SELECT b.k, count(*) AS retained
    FROM p a JOIN p b ON b.customer_id = a.customer_id AND b.k = a.k - 1
    GROUP BY 1
)
SELECT act.k AS periods_back,
       CAST($as_of AS DATE) - CAST((act.k + 1) * $days - 1 AS INTEGER) AS period_start,
       CAST($as_of AS DATE) - CAST(act.k * $days AS INTEGER) AS period_end,
       act.active,
       coalesce(prev.active, 0) AS active_previous,
       coalesce(ret.retained, 0) AS retained,
       coalesce(new.new_customers, 0) AS new_customers
FROM act
LEFT JOIN act prev ON prev.k = act.k + 1
LEFT JOIN ret ON ret.k = act.k
LEFT JOIN new ON new.k = act.k
ORDER BY act.k DESC
