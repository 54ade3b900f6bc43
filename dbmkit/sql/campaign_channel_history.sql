-- How past campaigns did by channel: for each campaign and group (treatment = contacted, control = held out), the
-- people, those who bought within the campaign's window after the contact (completed orders; the window is the
-- campaign's start→end, else $default_window days) and their revenue. Tracked coupon responses are counted too.
WITH c AS (
    SELECT k.campaign_id, k.customer_id, k."group", coalesce(k.channel, m.channel) AS channel, k.contact_ts,
           coalesce(nullif(datediff('day', m.start_date, m.end_date), 0), $default_window) AS window_days
    FROM contacts k LEFT JOIN campaigns m USING (campaign_id)
    WHERE k.contact_ts < CAST($as_of AS TIMESTAMP)
), bought AS (
    SELECT c.campaign_id, c.customer_id,
           count(o.order_id) > 0 AS bought, coalesce(sum(o.net_amount), 0) AS revenue,
           coalesce(sum(o.net_amount - o.cost), 0) AS margin
    FROM c LEFT JOIN orders o
      ON o.customer_id = c.customer_id AND o.status = 'completed'
     AND o.order_ts >= c.contact_ts AND o.order_ts < c.contact_ts + to_days(CAST(c.window_days AS INTEGER))
    GROUP BY 1, 2
), tracked AS (
    SELECT DISTINCT campaign_id, customer_id FROM responses
)
SELECT c.channel, c.campaign_id, c."group", any_value(c.window_days) AS window_days, count(*) AS people,
       sum(CAST(b.bought AS INTEGER)) AS buyers, sum(b.revenue) AS revenue, sum(b.margin) AS margin,
       count(t.customer_id) AS tracked_responses
FROM c JOIN bought b USING (campaign_id, customer_id)
LEFT JOIN tracked t ON t.campaign_id = c.campaign_id AND t.customer_id = c.customer_id
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
