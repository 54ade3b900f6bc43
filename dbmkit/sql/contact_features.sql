-- What we knew about each contacted customer just before the contact (point-in-time features for uplift and
-- response models): purchases, spend, discounts, channels, e-mail engagement and earlier campaign contacts —
-- only events BEFORE the contact time count, so a past campaign is described as it was on its own day.
-- The contact list (campaign_id, customer_id, contact_ts) is registered by dbmkit.evaluate.uplift.
WITH c AS (
    SELECT DISTINCT campaign_id, customer_id, contact_ts FROM {contacts}
),
o AS (
    SELECT c.campaign_id, c.customer_id,
           count(*) FILTER (WHERE o.status = 'completed') AS orders_total,
           count(*) FILTER (WHERE o.status = 'completed' AND o.order_ts >= c.contact_ts - INTERVAL 365 DAY) AS orders_365d,
           count(*) FILTER (WHERE o.status = 'completed' AND o.order_ts >= c.contact_ts - INTERVAL 90 DAY) AS orders_90d,
           coalesce(sum(o.net_amount) FILTER (WHERE o.status <> 'cancelled'), 0) AS revenue_total,
           coalesce(sum(o.net_amount) FILTER (WHERE o.status <> 'cancelled'
                                              AND o.order_ts >= c.contact_ts - INTERVAL 365 DAY), 0) AS revenue_365d,
           sum(o.discount) FILTER (WHERE o.status = 'completed')
               / nullif(sum(o.gross_amount) FILTER (WHERE o.status = 'completed'), 0) AS discount_share,
           count(*) FILTER (WHERE o.status = 'completed' AND o.discount > 0.1 * o.gross_amount)
               / nullif(count(*) FILTER (WHERE o.status = 'completed'), 0) AS discounted_order_share,
           count(*) FILTER (WHERE o.status = 'returned') AS returns_total,
           count(DISTINCT o.channel) FILTER (WHERE o.status = 'completed') AS channels_used,
           max(o.order_ts) FILTER (WHERE o.status = 'completed') AS last_order_ts,
           min(o.order_ts) FILTER (WHERE o.status = 'completed') AS first_order_ts
    FROM c JOIN orders o ON o.customer_id = c.customer_id AND o.order_ts < c.contact_ts
    GROUP BY c.campaign_id, c.customer_id
),
e AS (
    SELECT c.campaign_id, c.customer_id,
           count(DISTINCT ev.campaign_id) FILTER (WHERE ev.event IN ('delivered', 'opened', 'clicked')) AS emails_received,
           count(DISTINCT ev.campaign_id) FILTER (WHERE ev.event IN ('opened', 'clicked')) AS emails_opened,
           count(DISTINCT ev.campaign_id) FILTER (WHERE ev.event = 'clicked') AS emails_clicked
    FROM c JOIN email_events ev ON ev.customer_id = c.customer_id AND ev.event_ts < c.contact_ts
    GROUP BY c.campaign_id, c.customer_id
),
h AS (
    SELECT c.campaign_id, c.customer_id, count(*) AS prior_contacts
    FROM c JOIN contacts k ON k.customer_id = c.customer_id AND k.contact_ts < c.contact_ts AND k."group" = 'treatment'
    GROUP BY c.campaign_id, c.customer_id
)
SELECT c.campaign_id, c.customer_id,
       coalesce(o.orders_total, 0) AS orders_total,
       coalesce(o.orders_365d, 0) AS orders_365d,
       coalesce(o.orders_90d, 0) AS orders_90d,
       coalesce(o.revenue_total, 0) AS revenue_total,
       coalesce(o.revenue_365d, 0) AS revenue_365d,
       o.revenue_total / nullif(o.orders_total, 0) AS avg_order_value,
       o.discount_share, o.discounted_order_share,
       coalesce(o.returns_total, 0) AS returns_total,
       coalesce(o.channels_used, 0) AS channels_used,
       date_diff('day', o.last_order_ts, c.contact_ts) AS days_since_last,
       date_diff('day', o.first_order_ts, c.contact_ts) AS days_since_first,
       date_diff('day', cu.signup_date, CAST(c.contact_ts AS DATE)) AS tenure_days,
       CASE WHEN cu.birth_date > DATE '1910-01-01'
            THEN floor(date_diff('day', cu.birth_date, CAST(c.contact_ts AS DATE)) / 365.25) END AS age,
       CASE WHEN cu.gender = 'F' THEN 1 WHEN cu.gender = 'M' THEN 0 END AS female,
       cu.acquisition_channel,
       coalesce(e.emails_received, 0) AS emails_received,
       e.emails_opened / nullif(e.emails_received, 0) AS email_open_share,
       e.emails_clicked / nullif(e.emails_received, 0) AS email_click_share,
       coalesce(h.prior_contacts, 0) AS prior_contacts
FROM c
JOIN customers cu ON cu.customer_id = c.customer_id
LEFT JOIN o ON o.campaign_id = c.campaign_id AND o.customer_id = c.customer_id
LEFT JOIN e ON e.campaign_id = c.campaign_id AND e.customer_id = c.customer_id
LEFT JOIN h ON h.campaign_id = c.campaign_id AND h.customer_id = c.customer_id
ORDER BY c.campaign_id, c.customer_id
