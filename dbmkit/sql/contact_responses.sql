-- Past campaign contacts with their outcome: responded = a completed order from contact_ts up to the campaign's
-- window (end_date − start_date days, at least one day) after it; response_revenue = net revenue of those orders.
SELECT k.campaign_id, CAST(k.customer_id AS VARCHAR) AS customer_id, k."group", k.cell, k.contact_ts,
       coalesce(k.channel, m.channel) AS channel, m.start_date,
       greatest(coalesce(datediff('day', m.start_date, m.end_date), 30), 1) AS window_days,
       count(o.order_id) > 0 AS responded,
       coalesce(sum(o.net_amount), 0) AS response_revenue
FROM contacts k
JOIN campaigns m USING (campaign_id)
LEFT JOIN orders o
  ON o.customer_id = k.customer_id AND o.status = 'completed' AND o.order_ts >= k.contact_ts
 AND o.order_ts < k.contact_ts + to_days(greatest(coalesce(datediff('day', m.start_date, m.end_date), 30), 1))
WHERE CAST(k.contact_ts AS DATE) <= $as_of
GROUP BY ALL
ORDER BY k.campaign_id, customer_id
