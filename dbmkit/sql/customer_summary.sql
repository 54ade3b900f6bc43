-- BTYD customer summary of any transaction table, in one pass (frequency, recency, T as in Fader–Hardie–Lee).
-- Purchases on the same day count as one transaction. Transactions after $as_of are ignored.
-- Identifiers: {tx} the table, {customer}, {ts}, {amount} its columns. {day_cost} is a Raw aggregate of the cost
-- column per day (sum(CAST("cost" AS DOUBLE))) or the literal CAST(NULL AS DOUBLE) when there is none, {margin}
-- sum(amount - cost) or the same NULL: without a cost column no cost is summed at all (a sum of the literal 0
-- over every row cost a quarter of the query). The channels used are counted by customer_channels.sql, only when a
-- channel column is given.
-- Parameters: $as_of (DATE), $unit (days per unit).
-- Speed: two hash aggregations and no window function — the mean repeat spend is (all days' spend − the first
-- day's spend) / repeat days, the first day's spend taken with arg_min. Within 1.2× of the shortest hand-written
-- DuckDB query for the four BTYD columns (benchmarks/compare.py, RESULTS.md).
WITH days AS (
    SELECT CAST({customer} AS VARCHAR) AS customer_id, CAST({ts} AS DATE) AS d,
           sum(CAST({amount} AS DOUBLE)) AS amount, {day_cost} AS cost, count(*) AS n_rows
    FROM {tx}
    WHERE CAST({ts} AS DATE) <= $as_of AND {customer} IS NOT NULL
    GROUP BY 1, 2
)
SELECT customer_id,
       count(*) - 1                                            AS frequency,
       datediff('day', min(d), max(d)) / $unit                 AS recency,
       datediff('day', min(d), $as_of) / $unit                 AS "T",
       datediff('day', max(d), $as_of)                         AS days_since_last,
       CAST(sum(n_rows) AS BIGINT)                             AS n_orders,
       sum(amount)                                             AS monetary_total,
       CASE WHEN count(*) > 1 THEN (sum(amount) - arg_min(amount, d)) / (count(*) - 1) ELSE 0 END
                                                               AS monetary_mean_repeat,
       {margin}                                                AS margin_total,
       min(d)                                                  AS first_purchase,
       max(d)                                                  AS last_purchase
FROM days
GROUP BY customer_id
ORDER BY customer_id
