-- Profitability of every customer who bought (收益分析), as of $as_of: revenue before and after discounts and returns,
-- product cost, marketing contact cost (past campaign contacts × cost per contact, treatment only), acquisition
-- cost, discount share, and revenue/margin in the last 12 months vs the 12 months before (to spot declining value).
WITH o AS (
    SELECT customer_id,
           sum(gross_amount) FILTER (WHERE status = 'completed')                  AS gross_revenue,
           sum(discount) FILTER (WHERE status = 'completed')                      AS discounts,
           -coalesce(sum(net_amount) FILTER (WHERE status = 'returned'), 0)       AS returns,
           count(*) FILTER (WHERE status = 'returned')                            AS n_returns,
           count(*) FILTER (WHERE status = 'completed')                           AS n_orders,
           count(*) FILTER (WHERE status = 'completed' AND discount > 0)          AS n_discounted_orders,
           sum(net_amount) FILTER (WHERE status <> 'cancelled')                   AS net_revenue,
           sum(cost) FILTER (WHERE status <> 'cancelled')                         AS product_cost,
           coalesce(sum(net_amount) FILTER (WHERE status <> 'cancelled'
                    AND CAST(order_ts AS DATE) > $as_of - INTERVAL 365 DAY), 0)   AS revenue_12m,
           coalesce(sum(net_amount) FILTER (WHERE status <> 'cancelled'
                    AND CAST(order_ts AS DATE) > $as_of - INTERVAL 730 DAY
                    AND CAST(order_ts AS DATE) <= $as_of - INTERVAL 365 DAY), 0)  AS revenue_prev_12m,
           coalesce(sum(net_amount - cost) FILTER (WHERE status <> 'cancelled'
                    AND CAST(order_ts AS DATE) > $as_of - INTERVAL 365 DAY), 0)   AS margin_12m,
           coalesce(sum(net_amount - cost) FILTER (WHERE status <> 'cancelled'
                    AND CAST(order_ts AS DATE) > $as_of - INTERVAL 730 DAY
                    AND CAST(order_ts AS DATE) <= $as_of - INTERVAL 365 DAY), 0)  AS margin_prev_12m
    FROM orders
    WHERE CAST(order_ts AS DATE) <= $as_of
    GROUP BY 1
    HAVING count(*) FILTER (WHERE status = 'completed') > 0
), k AS (
    SELECT k.customer_id, count(*) AS n_contacts, sum(coalesce(m.cost_per_contact, 0)) AS contact_cost
    FROM contacts k JOIN campaigns m USING (campaign_id)
    WHERE k."group" <> 'control' AND CAST(k.contact_ts AS DATE) <= $as_of
    GROUP BY 1
)
SELECT o.customer_id, o.n_orders, o.n_discounted_orders, o.n_returns, o.gross_revenue, o.discounts, o.returns,
       o.net_revenue, o.product_cost, o.net_revenue - o.product_cost AS gross_margin,
       coalesce(k.n_contacts, 0) AS n_contacts, coalesce(k.contact_cost, 0) AS contact_cost,
       coalesce(c.acquisition_cost, 0) AS acquisition_cost,
       CASE WHEN o.gross_revenue > 0 THEN o.discounts / o.gross_revenue ELSE 0 END AS discount_share,
       o.revenue_12m, o.revenue_prev_12m, o.margin_12m, o.margin_prev_12m
FROM o JOIN customers c USING (customer_id)
LEFT JOIN k USING (customer_id)
WHERE NOT coalesce(c.is_test, false)
ORDER BY o.customer_id
