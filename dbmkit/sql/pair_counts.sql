-- The four basket counts behind one association rule A → C (chapter 25's exercises, computed like
-- association_pairs.sql): all baskets (completed orders up to $as_of), those holding item $a, those holding $c and
-- those holding both. {item} is a Raw expression over p (products) and i (order_items): basket.LEVELS[level].
-- Parameters: $a, $c (item names as text), $as_of (date).
WITH b AS (
    SELECT o.order_id,
           max(CAST({item} AS VARCHAR) = $a) AS has_a,
           max(CAST({item} AS VARCHAR) = $c) AS has_c
    FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (product_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of AND {item} IS NOT NULL
    GROUP BY 1
)
SELECT count(*) AS n, count(*) FILTER (WHERE has_a) AS with_a, count(*) FILTER (WHERE has_c) AS with_c,
       count(*) FILTER (WHERE has_a AND has_c) AS both
FROM b
