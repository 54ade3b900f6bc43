-- The customers with a completed order before $before (TIMESTAMP): the population a model scores as of that moment.
SELECT DISTINCT CAST(customer_id AS VARCHAR) AS customer_id
FROM purchases
WHERE order_ts < $before
ORDER BY 1
