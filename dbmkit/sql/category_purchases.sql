-- Spend and purchase days of each customer in each product category (completed orders up to $as_of), for interest
-- segments and the category repurchase cycle (chapter 32): spend (line amount after line discount), purchase_days
-- (distinct days with a line of the category), first_day and last_day. Needs order lines and a product master.
-- Parameters: $as_of (DATE).
SELECT CAST(o.customer_id AS VARCHAR) AS customer_id, CAST(p.category AS VARCHAR) AS category,
       sum(i.quantity * i.unit_price - i.discount)            AS spend,
       count(DISTINCT CAST(o.order_ts AS DATE))               AS purchase_days,
       min(CAST(o.order_ts AS DATE))                          AS first_day,
       max(CAST(o.order_ts AS DATE))                          AS last_day
FROM orders o
JOIN order_items i USING (order_id)
JOIN products p USING (product_id)
JOIN customers c ON c.customer_id = o.customer_id
WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of AND p.category IS NOT NULL
  AND NOT coalesce(c.is_test, false)
GROUP BY 1, 2
ORDER BY 1, 2
