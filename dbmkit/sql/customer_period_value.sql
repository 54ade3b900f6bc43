-- Every customer (test accounts excluded) with the demographics used for segmentation and penetration, and what
-- they bought in the period [$start, $as_of]: net revenue (after returns), completed orders and whether they bought.
SELECT c.customer_id, c.household_id, c.postal_code, c.city, c.gender, c.birth_date, c.signup_date,
       c.acquisition_channel,
       coalesce(v.revenue, 0) AS revenue, coalesce(v.orders, 0) AS orders, coalesce(v.orders, 0) > 0 AS is_buyer
FROM customers c
LEFT JOIN (
    SELECT customer_id, sum(net_amount) AS revenue, count(*) FILTER (WHERE status = 'completed') AS orders
    FROM orders
    WHERE status <> 'cancelled' AND CAST(order_ts AS DATE) BETWEEN $start AND $as_of
    GROUP BY 1
) v USING (customer_id)
WHERE NOT coalesce(c.is_test, false)
ORDER BY c.customer_id
