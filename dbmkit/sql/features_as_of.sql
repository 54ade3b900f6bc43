-- Model features of customers AS OF a moment (no leakage): only orders, responses and e-mail/SMS events strictly
-- before each row's snapshot_ts count. The registered table _snapshots holds (snapshot_id, customer_id,
-- snapshot_ts): one row per customer and moment — a campaign contact, a churn snapshot or the scoring date.
-- Customer attributes (signup date, birth date, gender, acquisition channel) are taken from customers.
WITH s AS (
    SELECT snapshot_id, CAST(customer_id AS VARCHAR) AS customer_id, CAST(snapshot_ts AS TIMESTAMP) AS snapshot_ts
    FROM _snapshots
), ord AS (
    SELECT s.snapshot_id,
           count(*) FILTER (WHERE o.status = 'completed') AS orders_total,
           count(*) FILTER (WHERE o.status = 'completed' AND o.order_ts >= s.snapshot_ts - INTERVAL 365 DAY) AS orders_12m,
           count(*) FILTER (WHERE o.status = 'completed' AND o.order_ts >= s.snapshot_ts - INTERVAL 90 DAY) AS orders_90d,
           coalesce(sum(o.net_amount) FILTER (WHERE o.status <> 'cancelled'), 0) AS revenue_total,
           coalesce(sum(o.net_amount) FILTER (WHERE o.status <> 'cancelled' AND o.order_ts >= s.snapshot_ts - INTERVAL 365 DAY), 0) AS revenue_12m,
           coalesce(sum(o.net_amount - o.cost) FILTER (WHERE o.status <> 'cancelled'), 0) AS margin_total,
           coalesce(sum(o.discount) FILTER (WHERE o.status = 'completed'), 0) AS discount_total,
           coalesce(sum(o.gross_amount) FILTER (WHERE o.status = 'completed'), 0) AS gross_total,
           coalesce(-sum(o.net_amount) FILTER (WHERE o.status = 'returned'), 0) AS returns_total,
           count(DISTINCT o.channel) FILTER (WHERE o.status = 'completed') AS channels_used,
           count(DISTINCT CAST(o.order_ts AS DATE)) FILTER (WHERE o.status = 'completed') AS purchase_days,
           max(o.order_ts) FILTER (WHERE o.status = 'completed') AS last_ts,
           min(o.order_ts) FILTER (WHERE o.status = 'completed') AS first_ts
    FROM s JOIN orders o ON o.customer_id = s.customer_id AND o.order_ts < s.snapshot_ts
    GROUP BY 1
), cnt AS (
    SELECT s.snapshot_id, count(*) AS contacts_total,
           count(*) FILTER (WHERE k.contact_ts >= s.snapshot_ts - INTERVAL 180 DAY) AS contacts_180d
    FROM s JOIN contacts k ON k.customer_id = s.customer_id AND k.contact_ts < s.snapshot_ts AND k."group" = 'treatment'
    GROUP BY 1
), resp AS (
    SELECT s.snapshot_id, count(*) AS responses_total
    FROM s JOIN responses r ON r.customer_id = s.customer_id AND r.response_ts < s.snapshot_ts
    GROUP BY 1
), mail AS (
    SELECT s.snapshot_id,
           count(*) FILTER (WHERE e.event = 'opened') AS email_opens_180d,
           count(*) FILTER (WHERE e.event = 'clicked') AS email_clicks_180d
    FROM s JOIN email_events e ON e.customer_id = s.customer_id AND e.event_ts < s.snapshot_ts
                              AND e.event_ts >= s.snapshot_ts - INTERVAL 180 DAY
    GROUP BY 1
)
SELECT s.snapshot_id, s.customer_id, s.snapshot_ts,
       coalesce(ord.orders_total, 0) AS orders_total,
       coalesce(ord.orders_12m, 0) AS orders_12m,
       coalesce(ord.orders_90d, 0) AS orders_90d,
       coalesce(ord.purchase_days, 0) AS purchase_days,
       coalesce(ord.revenue_total, 0) AS revenue_total,
       coalesce(ord.revenue_12m, 0) AS revenue_12m,
       coalesce(ord.margin_total, 0) AS margin_total,
       coalesce(ord.revenue_total / nullif(ord.orders_total, 0), 0) AS avg_order_value,
       coalesce(ord.discount_total / nullif(ord.gross_total, 0), 0) AS discount_share,
       coalesce(ord.returns_total / nullif(ord.gross_total, 0), 0) AS return_share,
       coalesce(ord.channels_used, 0) AS channels_used,
       ord.last_ts IS NULL AS never_bought,
       datediff('day', ord.last_ts, s.snapshot_ts) AS days_since_last,
       datediff('day', ord.first_ts, s.snapshot_ts) AS days_since_first,
       greatest(datediff('day', c.signup_date, s.snapshot_ts), 0) AS tenure_days,
       coalesce(cnt.contacts_total, 0) AS contacts_total,
       coalesce(cnt.contacts_180d, 0) AS contacts_180d,
       coalesce(resp.responses_total, 0) AS responses_total,
       coalesce(mail.email_opens_180d, 0) AS email_opens_180d,
       coalesce(mail.email_clicks_180d, 0) AS email_clicks_180d,
       datediff('year', c.birth_date, s.snapshot_ts) AS age,
       coalesce(CAST(c.gender AS VARCHAR), 'U') AS gender,
       coalesce(CAST(c.acquisition_channel AS VARCHAR), 'unknown') AS acquisition_channel
FROM s
LEFT JOIN customers c ON c.customer_id = s.customer_id
LEFT JOIN ord USING (snapshot_id)
LEFT JOIN cnt USING (snapshot_id)
LEFT JOIN resp USING (snapshot_id)
LEFT JOIN mail USING (snapshot_id)
ORDER BY s.snapshot_id
