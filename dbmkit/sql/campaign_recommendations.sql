-- A personal product recommendation (个性化推荐) per customer from product rules at subcategory level (the table
-- {rules}: kind basket|sequence, antecedent, consequent, confidence, lift — see campaign_product_rules.sql).
-- A sequence rule applies when its antecedent was bought in the last $sequence_days days (the customer's moment,
-- 时机) and wins over basket rules; otherwise the strongest basket rule (confidence × lift) of anything bought in the
-- last $lookback_days days. Subcategories the customer already bought in that time are never recommended. Without
-- a rule the customer's favourite subcategory is used; without purchases in the lookback (new registrants, long
-- lapsed customers) the overall best seller. The product is the best seller of the subcategory. Ties are broken by
-- name/id so the same data always give the same recommendation.
WITH lines AS (
    SELECT DISTINCT o.customer_id, CAST(o.order_ts AS DATE) AS d, p.subcategory AS sub, i.product_id
    FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of
      AND CAST(o.order_ts AS DATE) > CAST($as_of AS DATE) - to_days(CAST($lookback_days AS INTEGER))
      AND p.subcategory IS NOT NULL
), bought AS (
    SELECT customer_id, sub, max(d) AS last_d, count(*) AS n FROM lines GROUP BY 1, 2
), candidates AS (
    SELECT b.customer_id, r.kind, r.antecedent, r.consequent,
           CASE WHEN r.kind = 'sequence' THEN 1 ELSE 0 END AS seq_first, r.confidence * r.lift AS strength
    FROM bought b JOIN {rules} r ON r.antecedent = b.sub
    WHERE (r.kind = 'basket' OR b.last_d > CAST($as_of AS DATE) - to_days(CAST($sequence_days AS INTEGER)))
      AND NOT EXISTS (SELECT 1 FROM bought g WHERE g.customer_id = b.customer_id AND g.sub = r.consequent)
), best AS (
    SELECT customer_id, arg_max(consequent, (seq_first, strength, consequent, antecedent)) AS sub,
           arg_max(kind || ': ' || antecedent || ' → ' || consequent, (seq_first, strength, consequent, antecedent))
               AS rule
    FROM candidates GROUP BY 1
), favourite AS (
    SELECT customer_id, arg_max(sub, (n, last_d, sub)) AS sub FROM bought GROUP BY 1
), top_seller AS (
    SELECT sub, arg_max(product_id, (n, product_id)) AS product_id FROM (
        SELECT sub, product_id, count(*) AS n FROM lines GROUP BY 1, 2) GROUP BY 1
), chosen AS (
    SELECT coalesce(b.customer_id, f.customer_id) AS customer_id, coalesce(b.sub, f.sub) AS sub,
           coalesce(b.rule, 'favourite: ' || f.sub) AS rule
    FROM best b FULL OUTER JOIN favourite f USING (customer_id)
), overall AS (
    SELECT arg_max(product_id, (n, product_id)) AS product_id, arg_max(sub, (n, product_id)) AS sub FROM (
        SELECT product_id, any_value(sub) AS sub, count(*) AS n FROM lines GROUP BY 1)
), ruled AS (
    SELECT c.customer_id, t.product_id, c.sub, c.rule
    FROM chosen c JOIN top_seller t USING (sub)
), everyone AS (
    SELECT * FROM ruled
    UNION ALL
    SELECT k.customer_id, o.product_id, o.sub, 'best seller overall'
    FROM customers k, overall o
    WHERE o.product_id IS NOT NULL AND k.customer_id NOT IN (SELECT customer_id FROM ruled)
)
SELECT e.customer_id, e.product_id AS recommended_product, p.name AS recommended_product_name,
       e.sub AS recommended_subcategory, e.rule AS recommendation_rule
FROM everyone e JOIN products p ON p.product_id = e.product_id
ORDER BY e.customer_id
