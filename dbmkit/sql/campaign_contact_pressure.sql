-- Contact pressure before a campaign starting at $start: per customer, the last time they were contacted (any
-- channel, treatment group only: a control member received nothing), how many contacts in the 30 days before
-- $start and how many in the last $recent_days days.
SELECT customer_id,
       max(contact_ts) AS last_contact_ts,
       count(*) FILTER (WHERE contact_ts >= CAST($start AS TIMESTAMP) - INTERVAL 30 DAY) AS contacts_30d,
       count(*) FILTER (WHERE contact_ts >= CAST($start AS TIMESTAMP) - to_days(CAST($recent_days AS INTEGER)))
           AS contacts_recent
FROM contacts
WHERE "group" = 'treatment' AND contact_ts < CAST($start AS TIMESTAMP)
GROUP BY customer_id
ORDER BY customer_id
