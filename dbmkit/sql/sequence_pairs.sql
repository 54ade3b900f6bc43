-- Sequence discovery (序列发现): rules "A, then C within $within days".
-- An anchor is a completed order that is not the customer's first purchase and whose $within-day windows before
-- and after lie inside the history. For each item A in an anchor order: did the same customer buy C in another
-- order on the same day or up to $within days later (probability, median days until the first C), and — as a
-- control for customers who simply buy C often — in the $within days before (before_rate)?
-- base_rate = how often C follows any anchor order; lift = probability / base_rate;
-- excess = (probability − before_rate) / (1 − before_rate): the share of A-buyers who buy C because they bought A.
-- Item: a Raw expression over p (products) and i (order_items). Parameters: $as_of, $within (days), $min_count.
WITH b AS (
    SELECT DISTINCT o.order_id, o.customer_id, CAST(o.order_ts AS DATE) AS d, CAST({item} AS VARCHAR) AS item
    FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (product_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of AND {item} IS NOT NULL
), bounds AS (
    SELECT min(d) AS lo FROM b
), firsts AS (
    SELECT customer_id, min(d) AS first_d FROM b GROUP BY 1
), anchors AS (
    SELECT DISTINCT b.order_id, b.customer_id, b.d
    FROM b JOIN firsts f USING (customer_id) CROSS JOIN bounds
    WHERE b.d > f.first_d AND b.d - CAST($within AS INTEGER) >= bounds.lo
      AND b.d + CAST($within AS INTEGER) <= CAST($as_of AS DATE)
), follow AS (
    SELECT a.order_id, f.item, min(datediff('day', a.d, f.d)) AS lag_days
    FROM anchors a JOIN b f
      ON f.customer_id = a.customer_id AND f.d >= a.d AND f.d <= a.d + CAST($within AS INTEGER)
     AND f.order_id <> a.order_id
    GROUP BY 1, 2
), before AS (
    SELECT DISTINCT a.order_id, f.item
    FROM anchors a JOIN b f
      ON f.customer_id = a.customer_id AND f.d <= a.d AND f.d >= a.d - CAST($within AS INTEGER)
     AND f.order_id <> a.order_id
), n AS (
    SELECT count(*) AS n FROM anchors
), base AS (
    SELECT item, count(*) AS hits FROM follow GROUP BY 1
), ant AS (
    SELECT DISTINCT b.order_id, b.item FROM b JOIN anchors USING (order_id)
), ant_n AS (
    SELECT item, count(*) AS anchors FROM ant GROUP BY 1
), pair AS (
    SELECT x.item AS antecedent, f.item AS consequent, count(*) AS hits, median(f.lag_days) AS median_lag_days
    FROM ant x JOIN follow f USING (order_id)
    WHERE x.item <> f.item
    GROUP BY 1, 2
    HAVING count(*) >= $min_count
), pair_before AS (
    SELECT x.item AS antecedent, f.item AS consequent, count(*) AS hits_before
    FROM ant x JOIN before f USING (order_id)
    WHERE x.item <> f.item
    GROUP BY 1, 2
)
SELECT p.antecedent, p.consequent, a.anchors, p.hits,
       p.hits / a.anchors AS probability,
       coalesce(pb.hits_before, 0) / a.anchors AS before_rate,
       bs.hits / n.n AS base_rate,
       (p.hits / a.anchors) / (bs.hits / n.n) AS lift,
       (p.hits / a.anchors - coalesce(pb.hits_before, 0) / a.anchors) / (1 - coalesce(pb.hits_before, 0) / a.anchors) AS excess,
       p.median_lag_days,
       n.n AS n_anchors
FROM pair p JOIN ant_n a ON a.item = p.antecedent JOIN base bs ON bs.item = p.consequent CROSS JOIN n
LEFT JOIN pair_before pb ON pb.antecedent = p.antecedent AND pb.consequent = p.consequent
ORDER BY excess DESC, hits DESC, antecedent, consequent
