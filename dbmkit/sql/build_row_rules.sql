-- The row rules that need the whole staged table (the rules of single values are applied by ingest), in this order
-- (a row goes to quarantine with the first rule it breaks):
--   1. orders and invoice lines dated in the future (more than a day after now);
--   2. invoice lines and order lines with a zero quantity, then with a negative price (returns have negative
--      quantities, not prices);
--   3. orders with neither a net nor a gross amount, then completed or cancelled orders with a negative amount.
-- Inputs: src_orders, src_sales_lines, src_order_items (staging, as loaded). Outputs: the rows that break a rule are
-- deleted from staging and set aside in _hits with their reason and raw values (moved into quarantine by
-- build_quarantine.sql).
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

-- 1. dates in the future
INSERT INTO _hits SELECT 'orders', t.source_file, t.source_row, 'order_ts',
       'order_ts: date in the future (' || CAST(order_ts AS VARCHAR) || ')', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_orders t WHERE order_ts > now() + INTERVAL 1 DAY;
DELETE FROM src_orders t WHERE order_ts > now() + INTERVAL 1 DAY;

INSERT INTO _hits SELECT 'sales_lines', t.source_file, t.source_row, 'order_ts',
       'order_ts: date in the future (' || CAST(order_ts AS VARCHAR) || ')', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_sales_lines t WHERE order_ts > now() + INTERVAL 1 DAY;
DELETE FROM src_sales_lines t WHERE order_ts > now() + INTERVAL 1 DAY;

-- 2. zero quantities and negative prices of invoice lines, then of order lines
INSERT INTO _hits SELECT 'sales_lines', t.source_file, t.source_row, 'quantity',
       'quantity: zero quantity (nothing was sold or returned)', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_sales_lines t WHERE quantity = 0;
DELETE FROM src_sales_lines t WHERE quantity = 0;

INSERT INTO _hits SELECT 'sales_lines', t.source_file, t.source_row, 'unit_price',
       'unit_price: negative price (returns have negative quantities, not prices)', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_sales_lines t WHERE unit_price < 0;
DELETE FROM src_sales_lines t WHERE unit_price < 0;

INSERT INTO _hits SELECT 'order_items', t.source_file, t.source_row, 'quantity',
       'quantity: zero quantity (nothing was sold or returned)', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_order_items t WHERE quantity = 0;
DELETE FROM src_order_items t WHERE quantity = 0;

INSERT INTO _hits SELECT 'order_items', t.source_file, t.source_row, 'unit_price',
       'unit_price: negative price (returns have negative quantities, not prices)', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_order_items t WHERE unit_price < 0;
DELETE FROM src_order_items t WHERE unit_price < 0;

-- 3. orders without an amount, and sales or cancellations with a negative one
INSERT INTO _hits SELECT 'orders', t.source_file, t.source_row, 'net_amount',
       'net_amount: missing (and no gross_amount)', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_orders t WHERE coalesce(net_amount, gross_amount) IS NULL;
DELETE FROM src_orders t WHERE coalesce(net_amount, gross_amount) IS NULL;

INSERT INTO _hits SELECT 'orders', t.source_file, t.source_row, 'net_amount',
       'net_amount: negative amount on a ' || status || ' order (a return? map its status as returned)',
       left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_orders t WHERE coalesce(status, '') IN ('completed', 'cancelled') AND coalesce(net_amount, gross_amount) < 0;
DELETE FROM src_orders t WHERE coalesce(status, '') IN ('completed', 'cancelled') AND coalesce(net_amount, gross_amount) < 0;
