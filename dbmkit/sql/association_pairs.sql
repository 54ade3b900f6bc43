-- Market-basket analysis (一揽子分析): rules "A → C" between pairs of items bought in the same basket.
-- The placeholder "baskets" is a Raw query returning distinct (basket, item) rows: by default (basket_items.sql) a basket is a
-- completed order (or everything a customer bought) and an item a category, subcategory or product.
-- support = share of baskets with both, confidence = P(C | A), lift = confidence / P(C),
-- leverage = support − P(A)·P(C), conviction = (1 − P(C)) / (1 − confidence).
-- Parameters: $min_count (baskets holding the pair) and those of the baskets query.
WITH b AS (
    {baskets}
), n AS (
    SELECT count(DISTINCT basket) AS n FROM b
), single AS (
    SELECT item, count(*) AS cnt, row_number() OVER (ORDER BY item) AS iid FROM b GROUP BY 1
), bi AS (                     -- whole-number item keys, and only items frequent enough to be in a pair
    SELECT b.basket, s.iid FROM b JOIN single s USING (item) WHERE s.cnt >= $min_count
), pairs AS (
    SELECT x.iid AS a, y.iid AS c, count(*) AS cnt
    FROM bi x JOIN bi y ON x.basket = y.basket AND x.iid <> y.iid
    GROUP BY 1, 2
    HAVING count(*) >= $min_count
)
SELECT sa.item AS antecedent, sc.item AS consequent, p.cnt AS baskets,
       p.cnt / n.n AS support,
       sa.cnt / n.n AS antecedent_support,
       sc.cnt / n.n AS consequent_support,
       p.cnt / sa.cnt AS confidence,
       (p.cnt / sa.cnt) / (sc.cnt / n.n) AS lift,
       p.cnt / n.n - (sa.cnt / n.n) * (sc.cnt / n.n) AS leverage,
       CASE WHEN p.cnt = sa.cnt THEN NULL ELSE (1 - sc.cnt / n.n) / (1 - p.cnt / sa.cnt) END AS conviction,
       n.n AS n_baskets
FROM pairs p JOIN single sa ON sa.iid = p.a JOIN single sc ON sc.iid = p.c CROSS JOIN n
ORDER BY lift DESC, baskets DESC, antecedent, consequent
