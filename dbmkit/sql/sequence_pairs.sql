-- Sequence discovery (序列发现): rules "A, then C within $within days", for every window in the list $windows at once.
-- An anchor is a completed order that is not the customer's first purchase and whose $within-day windows before
-- and after lie inside the history. For each item A in an anchor order: did the same customer buy C in another
-- order on the same day or up to $within days later (probability, median days until the first C), and — as a
-- control for customers who simply buy C often — in the $within days before (before_rate)?
-- base_rate = how often C follows any anchor order; lift = probability / base_rate;
-- excess = (probability − before_rate) / (1 − before_rate): the share of A-buyers who buy C because they bought A.
-- Item: a Raw expression over p (products) and i (order_items).
-- Parameters: $as_of, $windows (list of days), $min_count, $max_anchors.
--
-- Scale. The customer's orders are paired once, for the largest window: for each (anchor, item) the days to the
-- nearest other order with the item after (fwd) and before (back) the anchor. The self-join is on (customer, time
-- bucket of the largest window's length), so an anchor meets only the customer's orders of three neighbouring
-- buckets, not the whole history. The (antecedent, consequent) pairs are then counted once by fwd (days), the
-- class of back and the anchor's eligibility (idx = position of a window in the sorted list; an anchor serves the
-- windows idx <= e_cls, a "before" hit the windows idx > back_cls), and every window is read off those counts. A customer contributes at most
-- $max_anchors anchors (a fixed pseudo-random choice: the smallest md5 of the order id), so one wholesale buyer with
-- thousands of orders cannot dominate the rules or the run time; ordinary customers are far below the cap.
WITH b0 AS (
    SELECT DISTINCT o.order_id, o.customer_id, CAST(o.order_ts AS DATE) AS d, CAST({item} AS VARCHAR) AS item
    FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (product_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of AND {item} IS NOT NULL
), items AS (                  -- whole-number keys (deterministic): hashing and comparing them is cheaper than text
    SELECT item, row_number() OVER (ORDER BY item) AS iid FROM (SELECT DISTINCT item FROM b0)
), custs AS (
    SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS cid FROM (SELECT DISTINCT customer_id FROM b0)
), ords AS (
    SELECT o.order_id, c.cid, o.d, row_number() OVER (ORDER BY o.order_id) AS oid
    FROM (SELECT DISTINCT order_id, customer_id, d FROM b0) o JOIN custs c USING (customer_id)
), b AS (
    SELECT o.oid, o.cid, o.d, it.iid FROM b0 JOIN ords o USING (order_id) JOIN items it USING (item)
), w AS (
    SELECT within, row_number() OVER (ORDER BY within) AS idx
    FROM (SELECT DISTINCT CAST(x AS INTEGER) AS within FROM (SELECT unnest($windows) AS x))
), wr AS (
    SELECT min(within) AS wmin, max(within) AS wmax, list_sort(list(within)) AS wl FROM w
), bounds AS (
    SELECT min(d) AS lo FROM ords
), firsts AS (
    SELECT cid, min(d) AS first_d FROM ords GROUP BY 1
), candidates AS (
    SELECT o.oid, o.cid, o.d,
           row_number() OVER (PARTITION BY o.cid ORDER BY md5(CAST(o.order_id AS VARCHAR)), o.order_id) AS pick
    FROM ords o JOIN firsts f USING (cid)
    WHERE o.d > f.first_d
), anchors AS (                -- e_cls = how many windows fit before and after the anchor inside the history
    SELECT c.oid, c.cid, c.d, datediff('day', bounds.lo, c.d) // wr.wmax AS bucket,
           array_length(list_filter(wr.wl, lambda x: x <= least(datediff('day', bounds.lo, c.d),
                                                  datediff('day', c.d, CAST($as_of AS DATE))))) AS e_cls
    FROM candidates c CROSS JOIN bounds CROSS JOIN wr
    WHERE c.pick <= $max_anchors
      AND c.d - CAST(wr.wmin AS INTEGER) >= bounds.lo AND c.d + CAST(wr.wmin AS INTEGER) <= CAST($as_of AS DATE)
), anchor_buckets AS (
    SELECT a.oid, a.cid, a.d, a.bucket + k.k AS bucket
    FROM anchors a CROSS JOIN (VALUES (-1), (0), (1)) k(k)
), bb AS (
    SELECT b.*, datediff('day', bounds.lo, b.d) // wr.wmax AS bucket FROM b CROSS JOIN bounds CROSS JOIN wr
), near AS (                   -- per anchor and item: days to the nearest other order with the item, after and before
    SELECT a.oid, f.iid,
           min(CASE WHEN f.d >= a.d THEN datediff('day', a.d, f.d) END) AS fwd,
           min(CASE WHEN f.d <= a.d THEN datediff('day', f.d, a.d) END) AS back
    FROM anchor_buckets a JOIN bb f ON f.cid = a.cid AND f.bucket = a.bucket
    CROSS JOIN wr
    WHERE f.oid <> a.oid AND abs(datediff('day', a.d, f.d)) <= wr.wmax
    GROUP BY 1, 2
), lags AS (                   -- back_cls = how many windows are shorter than back (NULL: no order before)
    SELECT n.oid, n.iid, n.fwd, array_length(list_filter(wr.wl, lambda x: x < n.back)) AS back_cls, a.e_cls
    FROM near n JOIN anchors a USING (oid) CROSS JOIN wr
    WHERE n.back IS NOT NULL
    UNION ALL
    SELECT n.oid, n.iid, n.fwd, NULL AS back_cls, a.e_cls
    FROM near n JOIN anchors a USING (oid)
    WHERE n.back IS NULL
), ant AS (
    SELECT b.oid, b.iid, a.e_cls FROM b JOIN anchors a USING (oid)
), pc AS (                     -- pair counts by eligibility, days to the consequent and class of the "before"
    SELECT x.iid AS antecedent, l.iid AS consequent, x.e_cls, l.fwd, l.back_cls, count(*) AS cnt
    FROM ant x JOIN lags l USING (oid)
    WHERE x.iid <> l.iid
    GROUP BY ALL
), fc AS (                     -- consequent counts (any anchor followed by C)
    SELECT iid, e_cls, fwd, count(*) AS cnt FROM lags WHERE fwd IS NOT NULL GROUP BY ALL
), n AS (
    SELECT w.within, count(*) AS n FROM anchors a JOIN w ON w.idx <= a.e_cls GROUP BY 1
), base AS (
    SELECT w.within, fc.iid, sum(fc.cnt) AS hits FROM fc JOIN w ON w.idx <= fc.e_cls AND fc.fwd <= w.within GROUP BY 1, 2
), ant_n AS (
    SELECT w.within, ant.iid, count(*) AS anchors FROM ant JOIN w ON w.idx <= ant.e_cls GROUP BY 1, 2
), pw AS (                     -- per window: the pairs' "after" hits by day (for the median) and "before" hits
    SELECT w.within, pc.antecedent, pc.consequent, pc.fwd,
           sum(pc.cnt) FILTER (WHERE pc.fwd <= w.within) AS hits,
           sum(pc.cnt) FILTER (WHERE pc.back_cls < w.idx) AS hits_before
    FROM pc JOIN w ON w.idx <= pc.e_cls
    GROUP BY 1, 2, 3, 4
), cum AS (
    SELECT within, antecedent, consequent, fwd, hits,
           sum(hits) OVER (PARTITION BY within, antecedent, consequent ORDER BY fwd) AS upto,
           sum(hits) OVER (PARTITION BY within, antecedent, consequent) AS total
    FROM pw WHERE hits > 0
), pair AS (                   -- median(lag) as DuckDB computes it: the mean of the two middle values
    SELECT within, antecedent, consequent, any_value(total) AS hits,
           (min(fwd) FILTER (WHERE upto >= (total + 1) // 2) + min(fwd) FILTER (WHERE upto >= total // 2 + 1)) / 2
               AS median_lag_days
    FROM cum
    GROUP BY 1, 2, 3
    HAVING any_value(total) >= $min_count
), pair_before AS (
    SELECT within, antecedent, consequent, sum(hits_before) AS hits_before FROM pw GROUP BY 1, 2, 3
)
SELECT p.within AS within_days, ia.item AS antecedent, ic.item AS consequent, a.anchors, p.hits,
       p.hits / a.anchors AS probability,
       coalesce(pb.hits_before, 0) / a.anchors AS before_rate,
       bs.hits / n.n AS base_rate,
       (p.hits / a.anchors) / (bs.hits / n.n) AS lift,
       (p.hits / a.anchors - coalesce(pb.hits_before, 0) / a.anchors) / (1 - coalesce(pb.hits_before, 0) / a.anchors) AS excess,
       p.median_lag_days,
       n.n AS n_anchors
FROM pair p JOIN ant_n a ON a.within = p.within AND a.iid = p.antecedent
JOIN base bs ON bs.within = p.within AND bs.iid = p.consequent
JOIN items ia ON ia.iid = p.antecedent JOIN items ic ON ic.iid = p.consequent
JOIN n ON n.within = p.within
LEFT JOIN pair_before pb ON pb.within = p.within AND pb.antecedent = p.antecedent AND pb.consequent = p.consequent
ORDER BY within_days, excess DESC, hits DESC, ia.item, ic.item
