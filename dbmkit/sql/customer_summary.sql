-- BTYD customer summary of any transaction table, in one pass (frequency, recency, T as in Fader–Hardie–Lee).
-- Purchases on the same day count as one transaction. Transactions after $as_of are ignored.
-- Identifiers: {tx} the table, {customer}, {ts}, {amount} its columns; {cost} a cost column (or the literal 0) for
-- the margin, {channel} a channel column (or NULL) for the channels used.
-- Parameters: $as_of (DATE), $unit (days per unit).
-- Speed: two hash aggregations and no window function — the mean repeat spend is (all days' spend − the first
-- day's spend) / repeat days, the first day's spend taken with arg_min. 10M transactions take a few seconds
-- (benchmarks/RESULTS.md). The channels CTE reads the table again only when a channel column is given: with the
-- literal NULL its filter is constant false and DuckDB skips the scan.
WITH days AS (
    SELECT CAST({customer} AS VARCHAR) AS customer_id, CAST({ts} AS DATE) AS d,
           sum(CAST({amount} AS DOUBLE)) AS amount, sum(CAST({cost} AS DOUBLE)) AS cost, count(*) AS n_rows
    FROM {tx}
    WHERE CAST({ts} AS DATE) <= $as_of AND {customer} IS NOT NULL
    GROUP BY 1, 2
), channels AS (
    SELECT CAST({customer} AS VARCHAR) AS customer_id, count(DISTINCT {channel}) AS channels_used
    FROM {tx}
    WHERE {channel} IS NOT NULL AND CAST({ts} AS DATE) <= $as_of AND {customer} IS NOT NULL
    GROUP BY 1
), per_customer AS (
    SELECT customer_id,
           count(*) - 1                                            AS frequency,
           datediff('day', min(d), max(d)) / $unit                 AS recency,
           datediff('day', min(d), $as_of) / $unit                 AS "T",
           datediff('day', max(d), $as_of)                         AS days_since_last,
           CAST(sum(n_rows) AS BIGINT)                             AS n_orders,
           sum(amount)                                             AS monetary_total,
           CASE WHEN count(*) > 1 THEN (sum(amount) - arg_min(amount, d)) / (count(*) - 1) ELSE 0 END
                                                                   AS monetary_mean_repeat,
           sum(amount - cost)                                      AS margin_total,
           min(d)                                                  AS first_purchase,
           max(d)                                                  AS last_purchase
    FROM days
    GROUP BY customer_id
)
SELECT c.customer_id, c.frequency, c.recency, c."T", c.days_since_last, c.n_orders, c.monetary_total,
       c.monetary_mean_repeat, c.margin_total, coalesce(ch.channels_used, 0) AS channels_used, c.first_purchase,
       c.last_purchase
FROM per_customer c LEFT JOIN channels ch USING (customer_id)
ORDER BY c.customer_id
