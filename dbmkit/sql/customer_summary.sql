-- BTYD customer summary of any transaction table, in one pass (frequency, recency, T as in Fader–Hardie–Lee).
-- Purchases on the same day count as one transaction. Transactions after $as_of are ignored.
-- Identifiers: {tx} the table, {customer}, {ts}, {amount} its columns; {cost} a cost column (or the literal 0) for
-- the margin, {channel} a channel column (or NULL) for the channels used.
-- Parameters: $as_of (DATE), $unit (days per unit).
WITH days AS (
    SELECT CAST({customer} AS VARCHAR) AS customer_id, CAST({ts} AS DATE) AS d,
           sum(CAST({amount} AS DOUBLE)) AS amount, sum(CAST({cost} AS DOUBLE)) AS cost, count(*) AS n_rows,
           list(DISTINCT {channel}) FILTER (WHERE {channel} IS NOT NULL) AS channels
    FROM {tx}
    WHERE CAST({ts} AS DATE) <= $as_of AND {customer} IS NOT NULL
    GROUP BY 1, 2
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY d) AS k FROM days
)
SELECT customer_id,
       count(*) - 1                                            AS frequency,
       datediff('day', min(d), max(d)) / $unit                 AS recency,
       datediff('day', min(d), $as_of) / $unit                 AS "T",
       datediff('day', max(d), $as_of)                         AS days_since_last,
       CAST(sum(n_rows) AS BIGINT)                             AS n_orders,
       sum(amount)                                             AS monetary_total,
       coalesce(avg(amount) FILTER (WHERE k > 1), 0)           AS monetary_mean_repeat,
       sum(amount - cost)                                      AS margin_total,
       len(list_distinct(flatten(list(channels))))             AS channels_used,
       min(d)                                                  AS first_purchase,
       max(d)                                                  AS last_purchase
FROM ranked
GROUP BY customer_id
ORDER BY customer_id
