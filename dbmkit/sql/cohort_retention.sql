-- Cohort retention: customers grouped by the period of their first completed purchase (the cohort); for each later
-- period, how many of them bought (completed purchases up to $as_of), and the revenue they brought.
-- {period} is a Raw literal: 'month', 'quarter' or 'year'.
WITH p AS (
    SELECT o.customer_id, o.order_ts, o.net_amount
    FROM orders o JOIN customers c USING (customer_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of AND NOT coalesce(c.is_test, false)
), firsts AS (
    SELECT customer_id, date_trunc({period}, min(order_ts)) AS cohort FROM p GROUP BY 1
), sizes AS (
    SELECT cohort, count(*) AS cohort_size FROM firsts GROUP BY 1
)
SELECT CAST(f.cohort AS DATE) AS cohort,
       CAST(datediff({period}, f.cohort, date_trunc({period}, p.order_ts)) AS INTEGER) AS period_index,
       any_value(s.cohort_size) AS cohort_size,
       count(DISTINCT p.customer_id) AS customers,
       count(DISTINCT p.customer_id) / any_value(s.cohort_size) AS retention,
       sum(p.net_amount) AS revenue
FROM p JOIN firsts f USING (customer_id) JOIN sizes s ON s.cohort = f.cohort
GROUP BY 1, 2
ORDER BY 1, 2
