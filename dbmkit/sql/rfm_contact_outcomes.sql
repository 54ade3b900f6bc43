-- Past campaign contacts (treatment and control) with their outcome, for RFM cell tables and break-even selection.
-- responded = at least one completed order from contact_ts up to the campaign's window after it (window = end_date −
-- start_date days, at least 1; 30 when the campaign has no end date); response_revenue / response_margin = net revenue
-- and net revenue − cost of those orders; contact_cost = the campaign's cost per contact (treatment only: the control
-- group is not contacted). Contacts after $as_of are ignored.
WITH k AS (
    SELECT k.campaign_id, CAST(k.customer_id AS VARCHAR) AS customer_id, k."group", k.cell, k.contact_ts,
           coalesce(k.channel, m.channel) AS channel, m.start_date,
           greatest(coalesce(datediff('day', m.start_date, m.end_date), 30), 1) AS window_days,
           coalesce(m.cost_per_contact, 0) AS cost_per_contact
    FROM contacts k JOIN campaigns m USING (campaign_id)
    WHERE CAST(k.contact_ts AS DATE) <= $as_of
)
SELECT k.campaign_id, k.customer_id, k."group", k.cell, k.contact_ts, k.channel, k.start_date, k.window_days,
       count(o.order_id) > 0 AS responded,
       count(o.order_id) AS response_orders,
       coalesce(sum(o.net_amount), 0) AS response_revenue,
       coalesce(sum(o.net_amount - o.cost), 0) AS response_margin,
       CASE WHEN k."group" = 'control' THEN 0 ELSE k.cost_per_contact END AS contact_cost
FROM k
LEFT JOIN orders o
  ON o.customer_id = k.customer_id AND o.status = 'completed' AND o.order_ts >= k.contact_ts
 AND o.order_ts < k.contact_ts + to_days(k.window_days)
GROUP BY ALL
ORDER BY k.campaign_id, k.customer_id
