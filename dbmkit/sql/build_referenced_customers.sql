-- Customer ids referenced by sales, contacts or consents, with the first time each was seen and the system of its
-- first order: the build adds a stub customer record for the ids no customer file holds.
-- Inputs: _all_orders (build_orders_from_sources.sql), src_contacts, src_consents.
-- Output: one row per customer id (customer_id, first_ts, sys), by customer_id.
-- Parameters: none.
SELECT customer_id, min(ts) AS first_ts, arg_min(sys, ts) AS sys FROM (
    SELECT customer_id, order_ts AS ts, source_system AS sys FROM _all_orders
    UNION ALL SELECT customer_id, contact_ts, NULL FROM src_contacts
    UNION ALL SELECT customer_id, updated_at, NULL FROM src_consents WHERE customer_id IS NOT NULL)
WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 1
