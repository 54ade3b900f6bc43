-- Evaluation by product: for every contact of the listed campaigns, the product categories bought in the
-- response window after the contact (one row per contact and category bought). Only completed orders count.
-- The contact list (campaign_id, customer_id, contact_ts, window_days) is registered by dbmkit.evaluate.
SELECT DISTINCT c.campaign_id, c.customer_id, p.category
FROM _cat_contacts c
JOIN orders o ON o.customer_id = c.customer_id
 AND o.status = 'completed'
 AND o.order_ts >= c.contact_ts
 AND o.order_ts < c.contact_ts + to_seconds(CAST(round(c.window_days * 86400) AS BIGINT))
JOIN order_items i ON i.order_id = o.order_id
JOIN products p ON p.product_id = i.product_id
WHERE p.category IS NOT NULL
