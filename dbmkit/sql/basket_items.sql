-- Distinct (basket, item) rows of completed orders between $start and $as_of: {basket} is o.order_id (a basket is
-- an order) or o.customer_id (everything a customer bought); {item} a Raw expression over p (products) and
-- i (order_items): the category, subcategory or product.
SELECT DISTINCT CAST({basket} AS VARCHAR) AS basket, CAST({item} AS VARCHAR) AS item
FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (product_id)
WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) BETWEEN $start AND $as_of AND {item} IS NOT NULL
