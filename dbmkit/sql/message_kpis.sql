-- E-mail / SMS KPIs (关键绩效指标): first one row per recipient and campaign (unique opens and clicks: a person who
-- opens five times counts once), then counts per group. A click proves an open (images may be blocked) and an
-- open or click proves delivery. Groups: the campaign and, when given, customer-level columns (a segment).
WITH per AS (
    SELECT e.campaign_id, e.customer_id,
           true AS sent,
           bool_or(e.event = 'bounced') AND NOT bool_or(e.event IN ('delivered', 'opened', 'clicked', 'replied')) AS bounced,
           bool_or(e.event IN ('delivered', 'opened', 'clicked', 'replied')) AS delivered,
           bool_or(e.event IN ('opened', 'clicked')) AS opened,
           bool_or(e.event = 'clicked') AS clicked,
           bool_or(e.event = 'replied') AS replied,
           bool_or(e.event = 'unsubscribed') AS unsubscribed,
           bool_or(e.event = 'complained') AS complained
    FROM {events} e
    GROUP BY e.campaign_id, e.customer_id
)
SELECT {keys},
       count(*) AS sent,
       sum(p.delivered::INT) AS delivered,
       sum(p.bounced::INT) AS bounced,
       sum(p.opened::INT) AS opened,
       sum(p.clicked::INT) AS clicked,
       sum(p.replied::INT) AS replied,
       sum(p.unsubscribed::INT) AS unsubscribed,
       sum(p.complained::INT) AS complained,
       sum((p.delivered AND coalesce(o.responded, 0) = 1)::INT) AS converted
FROM per p
LEFT JOIN {outcomes} o ON o.campaign_id = p.campaign_id AND o.customer_id = p.customer_id
LEFT JOIN {segments} s ON s.customer_id = p.customer_id
GROUP BY ALL
ORDER BY ALL
