-- Store the orders by person (订单入库): the orders and lines of erased people go to quarantine without their
-- values; each order gets its person (through its source record) and its cost — from the order itself, else from
-- the product costs of its lines when every line has one (negative for a return), else estimated from the gross
-- margin ({margin}; cost_estimated says so); the orders of test accounts are kept apart in test_orders; the lines
-- of the stored orders go to order_items.
-- Inputs: _all_orders, _items (build_orders_from_sources.sql), _rec_person (build_store_people.sql),
-- _erased_records (record ids of erased people), _tp (registered: customer_id of the test accounts),
-- src_products, src_orders, src_sales_lines, src_order_items.
-- Outputs: orders, order_items, test_orders; the withheld rows deleted from staging and set aside in _hits (for
-- build_quarantine.sql).
-- Parameters (Raw fragments written by dbmkit.database.build): {margin} the client's gross margin as a number,
-- {erased} the quarantine reason of an erased person's row as a string literal.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

-- erased people: their orders, invoice lines and order lines are withheld
CREATE OR REPLACE TEMP TABLE _erased_orders AS SELECT order_id FROM _all_orders
WHERE customer_id IN (SELECT record_id FROM _erased_records);
INSERT INTO _hits SELECT 'orders', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM src_orders t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
DELETE FROM src_orders t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
INSERT INTO _hits SELECT 'sales_lines', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM src_sales_lines t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
DELETE FROM src_sales_lines t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
INSERT INTO _hits SELECT 'order_items', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM src_order_items t WHERE t.order_id IN (SELECT order_id FROM _erased_orders);
DELETE FROM src_order_items t WHERE t.order_id IN (SELECT order_id FROM _erased_orders);
DELETE FROM _all_orders WHERE order_id IN (SELECT order_id FROM _erased_orders);
DELETE FROM _items WHERE order_id IN (SELECT order_id FROM _erased_orders);

CREATE OR REPLACE TEMP TABLE _item_cost AS
SELECT i.order_id, sum(i.quantity * p.unit_cost) AS cost, bool_and(p.unit_cost IS NOT NULL) AS complete
FROM _items i LEFT JOIN src_products p USING (product_id) GROUP BY 1;

CREATE OR REPLACE TEMP TABLE _orders_final AS
SELECT o.order_id, rp.customer_id, o.order_ts, o.channel, o.store_id, round(o.gross_amount, 2) AS gross_amount,
       round(o.discount, 2) AS discount, round(o.net_amount, 2) AS net_amount,
       round(coalesce(o.cost, CASE WHEN ic.complete THEN
            CASE WHEN o.status = 'returned' THEN -abs(ic.cost) ELSE abs(ic.cost) END END,
            o.net_amount * (1 - {margin})), 2) AS cost,
       o.status, o.original_order_id,
       (o.cost IS NULL AND NOT coalesce(ic.complete, FALSE)) AS cost_estimated, o.source_system
FROM _all_orders o JOIN _rec_person rp ON rp.record_id = o.customer_id
LEFT JOIN _item_cost ic ON ic.order_id = o.order_id;

-- test accounts: their orders are kept apart
CREATE OR REPLACE TABLE test_orders AS SELECT * FROM _orders_final WHERE customer_id IN
    (SELECT customer_id FROM _tp) ORDER BY order_ts, order_id;
DELETE FROM _orders_final WHERE customer_id IN (SELECT customer_id FROM _tp);

INSERT INTO orders SELECT * FROM _orders_final ORDER BY order_ts, order_id;
INSERT INTO order_items SELECT i.order_id, i.line_no, i.product_id, i.quantity, i.unit_price, i.discount
FROM _items i WHERE i.order_id IN (SELECT order_id FROM orders) ORDER BY i.order_id, i.line_no;
