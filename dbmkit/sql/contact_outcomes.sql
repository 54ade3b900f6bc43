-- One row per contact: did they buy within the response window (after the attribution rule), when, which order
-- first, and how much revenue and margin all their attributed orders brought.
-- Placeholders: the contact list and the attribute_responses query (rendered by dbmkit.evaluate.attribution).
WITH att AS ({attributed}),
per AS (
    SELECT campaign_id, customer_id,
           count(*) AS n_orders,
           min(order_ts) AS response_ts,
           arg_min(order_id, (order_ts, order_id)) AS order_id,   -- the first order; same time: the smaller id
           sum(revenue) AS revenue,
           sum(margin) AS margin,
           bool_or(ambiguous) AS ambiguous
    FROM att GROUP BY campaign_id, customer_id
)
SELECT c.campaign_id, c.customer_id,
       CASE WHEN p.n_orders > 0 THEN 1 ELSE 0 END AS responded,
       p.response_ts, p.order_id,
       round(coalesce(p.revenue, 0), 2) AS revenue,
       round(coalesce(p.margin, 0), 2) AS margin,
       coalesce(p.n_orders, 0) AS n_orders,
       coalesce(p.ambiguous, false) AS ambiguous
FROM {contacts} c
LEFT JOIN per p ON p.campaign_id = c.campaign_id AND p.customer_id = c.customer_id
