-- A simple recency/frequency response history (the fallback when no response model has been built): for every
-- customer signed up by $cutoff, the purchase days and days since the last purchase as of $cutoff, and whether
-- they bought between $cutoff and $as_of (one campaign window later).
WITH p AS (
    SELECT customer_id, CAST(order_ts AS DATE) AS d FROM orders
    WHERE status = 'completed' AND CAST(order_ts AS DATE) <= $as_of GROUP BY 1, 2
), past AS (
    SELECT customer_id, count(*) AS purchase_days, datediff('day', max(d), $cutoff) AS days_since_last
    FROM p WHERE d <= $cutoff GROUP BY 1
), later AS (
    SELECT DISTINCT customer_id FROM p WHERE d > $cutoff
)
SELECT c.customer_id, coalesce(past.purchase_days, 0) AS purchase_days, past.days_since_last,
       later.customer_id IS NOT NULL AS bought
FROM customers c LEFT JOIN past USING (customer_id) LEFT JOIN later USING (customer_id)
WHERE c.signup_date <= $cutoff AND NOT coalesce(c.is_test, false)
