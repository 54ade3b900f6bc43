-- Product rules at subcategory level from the completed orders of the last $lookback_days days before $as_of,
-- for personal recommendations (个性化推荐):
--   basket   A → B: orders holding A also hold B; confidence = P(B | A), lift = confidence / P(B)  (一揽子分析)
--   sequence A ⇒ B: customers whose first A purchase is followed by a first B purchase within $sequence_days days;
--                   confidence = share of A's customers, lift = confidence / share of all customers buying B (序列发现)
-- Only rules seen at least $min_count times and with lift > 1.
WITH lines AS (
    SELECT DISTINCT o.order_id, o.customer_id, CAST(o.order_ts AS DATE) AS d, p.subcategory AS sub
    FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of
      AND CAST(o.order_ts AS DATE) > CAST($as_of AS DATE) - to_days(CAST($lookback_days AS INTEGER))
      AND p.subcategory IS NOT NULL
), n_all AS (
    SELECT count(DISTINCT order_id) AS n FROM lines
), sub_n AS (
    SELECT sub, count(DISTINCT order_id) AS n_sub FROM lines GROUP BY 1
), basket AS (
    SELECT a.sub AS antecedent, b.sub AS consequent, count(*) AS n_ab
    FROM lines a JOIN lines b ON a.order_id = b.order_id AND a.sub <> b.sub
    GROUP BY 1, 2
), firsts AS (
    SELECT customer_id, sub, min(d) AS first_d FROM lines GROUP BY 1, 2
), cust_n AS (
    SELECT sub, count(*) AS n_cust FROM firsts GROUP BY 1
), n_cust_all AS (
    SELECT count(DISTINCT customer_id) AS n FROM firsts
), seq AS (
    SELECT a.sub AS antecedent, b.sub AS consequent, count(*) AS n_ab
    FROM firsts a JOIN firsts b ON a.customer_id = b.customer_id AND a.sub <> b.sub
     AND b.first_d > a.first_d AND b.first_d <= a.first_d + to_days(CAST($sequence_days AS INTEGER))
    GROUP BY 1, 2
), rules AS (
    SELECT 'basket' AS kind, antecedent, consequent, n_ab AS n, n_ab / sa.n_sub AS confidence,
           (n_ab / sa.n_sub) / (sb.n_sub / n_all.n) AS lift
    FROM basket JOIN sub_n sa ON sa.sub = antecedent JOIN sub_n sb ON sb.sub = consequent, n_all
    UNION ALL
    SELECT 'sequence', antecedent, consequent, n_ab, n_ab / ca.n_cust, (n_ab / ca.n_cust) / (cb.n_cust / n_cust_all.n)
    FROM seq JOIN cust_n ca ON ca.sub = antecedent JOIN cust_n cb ON cb.sub = consequent, n_cust_all
)
SELECT kind, antecedent, consequent, n, confidence, lift FROM rules
WHERE n >= $min_count AND lift > 1
ORDER BY kind, lift DESC, antecedent, consequent
