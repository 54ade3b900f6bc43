-- Each customer's main channel as of $as_of: the channel of most completed orders, a tie going to the first channel
-- by name (deterministic, unlike mode(), whose ties depend on how DuckDB's threads merge). Customers whose orders
-- have no channel are left out. Parameters: $as_of (DATE).
WITH by_channel AS (
    SELECT customer_id, channel, count(*) AS n
    FROM orders WHERE status = 'completed' AND channel IS NOT NULL AND CAST(order_ts AS DATE) <= $as_of
    GROUP BY 1, 2
)
SELECT customer_id, arg_min(channel, (-n, channel)) AS main_channel
FROM by_channel GROUP BY 1
