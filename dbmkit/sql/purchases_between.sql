-- Completed orders and net revenue of each customer in the period ($start, $end] (e.g. the churn label window).
SELECT CAST(customer_id AS VARCHAR) AS customer_id, count(*) AS orders, sum(net_amount) AS revenue
FROM orders
WHERE status = 'completed' AND order_ts > $start AND order_ts <= $end
GROUP BY 1
