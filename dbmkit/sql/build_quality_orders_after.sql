-- The orders as stored, for the data-quality report (stage "after cleaning"): the orders by person and the
-- anonymous sales (no customer).
-- Inputs: orders, anonymous_sales. Output: one row per order (order_id, customer_id, order_ts, channel,
-- net_amount, status). Parameters: none.
SELECT order_id, customer_id, order_ts, channel, net_amount, status FROM orders
UNION ALL
SELECT order_id, NULL, order_ts, channel, net_amount, status FROM anonymous_sales
