-- Calibration/holdout split of any transaction table, for validating BTYD models (Fader–Hardie–Lee 2005).
-- Calibration: purchases up to $cal_end → frequency, recency, T (in $unit days) and mean repeat spend.
-- Holdout: purchase days in ($cal_end, $holdout_end] of the same customers; customers whose first purchase falls in
-- the holdout are left out (the model did not know them). Purchases on the same day count as one.
-- Identifiers: {tx} the table, {customer}, {ts}, {amount}, {cost} (a column, or the literal 0 when unknown).
WITH days AS (
    SELECT CAST({customer} AS VARCHAR) AS customer_id, CAST({ts} AS DATE) AS d,
           sum(CAST({amount} AS DOUBLE)) AS amount, sum(CAST({cost} AS DOUBLE)) AS cost
    FROM {tx}
    WHERE {customer} IS NOT NULL AND CAST({ts} AS DATE) <= $holdout_end
    GROUP BY 1, 2
), cal AS (
    SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY d) AS k FROM days WHERE d <= $cal_end
), cal_sum AS (
    SELECT customer_id,
           count(*) - 1                                      AS frequency_cal,
           datediff('day', min(d), max(d)) / $unit           AS recency_cal,
           datediff('day', min(d), $cal_end) / $unit         AS T_cal,
           coalesce(avg(amount) FILTER (WHERE k > 1), 0)     AS monetary_value_cal,
           sum(amount)                                       AS monetary_total_cal,
           sum(amount - cost)                                AS margin_total_cal,
           datediff('day', max(d), $cal_end)                 AS days_since_last_cal
    FROM cal GROUP BY 1
), hold AS (
    SELECT customer_id, count(*) AS frequency_holdout, sum(amount) AS monetary_holdout,
           sum(amount - cost) AS margin_holdout
    FROM days WHERE d > $cal_end GROUP BY 1
)
SELECT c.*, coalesce(h.frequency_holdout, 0) AS frequency_holdout,
       coalesce(h.monetary_holdout, 0) AS monetary_holdout, coalesce(h.margin_holdout, 0) AS margin_holdout,
       datediff('day', $cal_end, $holdout_end) / $unit AS duration_holdout
FROM cal_sum c LEFT JOIN hold h USING (customer_id)
ORDER BY c.customer_id
