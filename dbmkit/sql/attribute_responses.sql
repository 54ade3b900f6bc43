-- Attribution (归因): orders matched to the campaign contacts whose response window contains them.
-- An order inside the windows of several contacts of the same customer (overlapping campaigns) is ambiguous;
-- $rule decides who gets it: 'most_recent' (the latest contact before the order), 'first' (the earliest) or
-- 'all' (every contact keeps it — right for measuring each campaign against its own control group).
-- orders: order_id, customer_id, order_ts, net_amount, cost, status.
-- contacts: campaign_id, customer_id, "group", contact_ts, window_days.
WITH cand AS (
    SELECT o.order_id, o.customer_id, o.order_ts, o.net_amount AS revenue,
           o.net_amount - coalesce(o.cost, 0) AS margin,
           c.campaign_id, c."group", c.contact_ts,
           date_diff('second', c.contact_ts, o.order_ts) / 86400.0 AS days_after_contact
    FROM {orders} o
    JOIN {contacts} c
      ON c.customer_id = o.customer_id
     AND o.order_ts >= c.contact_ts
     AND o.order_ts < c.contact_ts + to_seconds(CAST(round(c.window_days * 86400) AS BIGINT))
    WHERE o.status = 'completed'
), ranked AS (
    SELECT *,
           count(*) OVER (PARTITION BY order_id) AS n_candidates,
           row_number() OVER (PARTITION BY order_id ORDER BY contact_ts DESC, campaign_id DESC) AS rank_recent,
           row_number() OVER (PARTITION BY order_id ORDER BY contact_ts, campaign_id) AS rank_first
    FROM cand
)
SELECT order_id, customer_id, order_ts, revenue, margin, campaign_id, "group", contact_ts, days_after_contact,
       n_candidates, n_candidates > 1 AS ambiguous
FROM ranked
WHERE CASE $rule WHEN 'most_recent' THEN rank_recent = 1
                 WHEN 'first' THEN rank_first = 1
                 ELSE true END
ORDER BY order_ts, order_id, campaign_id
