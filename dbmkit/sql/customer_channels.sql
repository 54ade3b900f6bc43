-- The number of different channels each customer bought through up to $as_of (the channels_used column of
-- customer_summary.sql, run only when a channel column is given). {tx} the table, {customer}, {ts}, {channel} its
-- columns. Parameters: $as_of (DATE).
SELECT CAST({customer} AS VARCHAR) AS customer_id, count(DISTINCT {channel}) AS channels_used
FROM {tx}
WHERE {channel} IS NOT NULL AND CAST({ts} AS DATE) <= $as_of AND {customer} IS NOT NULL
GROUP BY 1
