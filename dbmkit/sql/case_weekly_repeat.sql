-- Repeat transactions per week of a cohort's transaction log (FHL 2005, figures 2 and 3): purchases on the same
-- day count as one transaction; the first purchase day of each customer is the trial, not a repeat.
-- Identifiers: {tx} the table, {customer}, {ts} its columns. Parameters: $start (DATE, week 1 starts here), $weeks.
WITH days AS (
    SELECT DISTINCT CAST({customer} AS VARCHAR) AS customer_id, CAST({ts} AS DATE) AS d
    FROM {tx} WHERE {customer} IS NOT NULL AND {ts} IS NOT NULL
), ranked AS (
    SELECT d, row_number() OVER (PARTITION BY customer_id ORDER BY d) AS k FROM days
), weekly AS (
    SELECT CAST(floor(datediff('day', $start, d) / 7) AS BIGINT) + 1 AS week, count(*) AS repeat_transactions
    FROM ranked WHERE k > 1 AND d >= $start GROUP BY 1
)
SELECT w.week, coalesce(weekly.repeat_transactions, 0) AS repeat_transactions,
       sum(coalesce(weekly.repeat_transactions, 0)) OVER (ORDER BY w.week) AS cumulative
FROM (SELECT unnest(generate_series(1, $weeks)) AS week) w LEFT JOIN weekly USING (week)
ORDER BY w.week
