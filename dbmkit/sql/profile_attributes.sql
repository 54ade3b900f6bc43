-- One row per customer who bought (completed orders up to $as_of): the attributes chapter 27 profiles customers
-- on — first order (date, channel, value, discount used), main channel (most revenue), number of categories and the
-- category with most spend (NULL without order lines and a product master), discount share of gross spend, and the
-- customer file's city and acquisition channel. Test accounts are left out (their orders are in test_orders).
-- Ties are broken so that every engine picks the same (docs/ARCHITECTURE.md, The Spark engine): the first order
-- by time then order id; the most revenue (spend) rounded to 1e-6, then the name.
-- Parameters: $as_of (DATE).
WITH o AS (
    SELECT customer_id, order_id, order_ts, channel, gross_amount, discount, net_amount
    FROM orders
    WHERE status = 'completed' AND CAST(order_ts AS DATE) <= $as_of
), per_customer AS (
    SELECT customer_id,
           min(order_ts)                                      AS first_ts,
           arg_min(channel, (order_ts, order_id))              AS first_channel,
           arg_min(net_amount, (order_ts, order_id))           AS first_order_value,
           arg_min(discount, (order_ts, order_id)) > 0         AS first_order_discounted,
           sum(discount) / nullif(sum(gross_amount), 0)        AS discount_share
    FROM o GROUP BY 1
), channel_revenue AS (
    SELECT customer_id, channel, sum(net_amount) AS revenue FROM o WHERE channel IS NOT NULL GROUP BY 1, 2
), main_channel AS (
    SELECT customer_id, arg_min(channel, (-round(revenue, 6), channel)) AS main_channel FROM channel_revenue GROUP BY 1
), category_spend AS (
    SELECT o.customer_id, p.category, sum(i.quantity * i.unit_price - i.discount) AS spend
    FROM o JOIN order_items i USING (order_id) JOIN products p USING (product_id)
    WHERE p.category IS NOT NULL
    GROUP BY 1, 2
), top_category AS (
    SELECT customer_id, arg_min(category, (-round(spend, 6), category)) AS top_category, count(*) AS n_categories
    FROM category_spend GROUP BY 1
)
SELECT CAST(pc.customer_id AS VARCHAR) AS customer_id, CAST(pc.first_ts AS DATE) AS first_purchase,
       pc.first_channel, pc.first_order_value, pc.first_order_discounted, coalesce(pc.discount_share, 0) AS discount_share,
       mc.main_channel, tc.top_category, coalesce(tc.n_categories, 0) AS n_categories,
       c.city, c.postal_code, c.acquisition_channel, c.signup_date
FROM per_customer pc
JOIN customers c ON c.customer_id = pc.customer_id
LEFT JOIN main_channel mc ON mc.customer_id = pc.customer_id
LEFT JOIN top_category tc ON tc.customer_id = pc.customer_id
WHERE NOT coalesce(c.is_test, false)
ORDER BY 1
