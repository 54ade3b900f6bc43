-- The first and last day with an order that counts as revenue (not cancelled): which months of the sales history
-- are complete (chapter 27's monthly series leaves out a first or last month the data covers only in part).
-- No parameters.
SELECT min(CAST(order_ts AS DATE)) AS first_day, max(CAST(order_ts AS DATE)) AS last_day
FROM orders
WHERE status <> 'cancelled'
