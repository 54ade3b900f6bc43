-- The customer summary of the marketing database as of $as_of: BTYD fields in days from completed purchases,
-- money net of returns, margin after product costs, discounts, channels. One row per customer who bought.
-- main_channel: the channel of most completed orders, a tie going to the channel used first, then to the first by
-- name (deterministic on every engine, unlike mode(), whose ties depend on how DuckDB's threads merge).
WITH purchases AS (
    SELECT customer_id, CAST(order_ts AS DATE) AS d, sum(net_amount) AS amount, count(*) AS n
    FROM orders WHERE status = 'completed' AND CAST(order_ts AS DATE) <= $as_of
    GROUP BY 1, 2
), btyd AS (
    -- mean repeat spend = (all days − the first day) / repeat days: no window function (fast on 10M+ orders)
    SELECT customer_id, count(*) - 1 AS frequency,
           datediff('day', min(d), max(d)) AS recency, datediff('day', min(d), $as_of) AS "T",
           datediff('day', max(d), $as_of) AS days_since_last, CAST(sum(n) AS BIGINT) AS n_orders,
           CASE WHEN count(*) > 1 THEN (sum(amount) - arg_min(amount, d)) / (count(*) - 1) ELSE 0 END
               AS monetary_mean_repeat,
           min(d) AS first_purchase, max(d) AS last_purchase
    FROM purchases GROUP BY 1
), money AS (
    SELECT customer_id,
           sum(net_amount) FILTER (WHERE status <> 'cancelled') AS monetary_total,
           sum(net_amount - cost) FILTER (WHERE status <> 'cancelled') AS margin_total,
           sum(discount) FILTER (WHERE status = 'completed') AS discount_total,
           sum(gross_amount) FILTER (WHERE status = 'completed') AS gross_total,
           -sum(net_amount) FILTER (WHERE status = 'returned') AS returns_total,
           count(*) FILTER (WHERE status = 'returned') AS n_returns,
           count(DISTINCT channel) FILTER (WHERE status = 'completed') AS channels_used,
           sum(net_amount) FILTER (WHERE status <> 'cancelled' AND CAST(order_ts AS DATE) > $as_of - INTERVAL 365 DAY) AS revenue_12m,
           count(*) FILTER (WHERE status = 'completed' AND CAST(order_ts AS DATE) > $as_of - INTERVAL 365 DAY) AS orders_12m
    FROM orders WHERE CAST(order_ts AS DATE) <= $as_of GROUP BY 1
), channel_orders AS (
    SELECT customer_id, channel, count(*) AS n, min(order_ts) AS first_ts
    FROM orders WHERE status = 'completed' AND channel IS NOT NULL AND CAST(order_ts AS DATE) <= $as_of
    GROUP BY 1, 2
), main AS (
    -- the channel of most completed orders; ties: the one used first, then by name (not mode(), whose pick among
    -- ties differs between engines and runs)
    SELECT customer_id, arg_min(channel, (-n, first_ts, channel)) AS main_channel FROM channel_orders GROUP BY 1
)
SELECT b.customer_id, b.frequency, b.recency, b."T", b.days_since_last, b.n_orders,
       m.monetary_total, b.monetary_mean_repeat, m.margin_total, m.discount_total, m.gross_total,
       coalesce(m.returns_total, 0) AS returns_total, m.n_returns, m.channels_used, mc.main_channel,
       m.channels_used > 1 AS is_multichannel, coalesce(m.revenue_12m, 0) AS revenue_12m,
       m.orders_12m, b.first_purchase, b.last_purchase,
       datediff('day', c.signup_date, $as_of) AS tenure_days, c.acquisition_channel
FROM btyd b JOIN money m USING (customer_id) JOIN customers c USING (customer_id)
LEFT JOIN main mc USING (customer_id)
WHERE NOT coalesce(c.is_test, false)
ORDER BY b.customer_id
