-- Orders from the sales sources (订单): order-level files and line-level files (invoices) become one table of
-- orders (_all_orders) and one of order lines (_items).
--   * an invoice line whose invoice is also in an order-level file (one sale in two sources), and the lines of an
--     invoice whose lines disagree on the customer, go to quarantine;
--   * an invoice becomes an order: customer, channel and store of its first line, amounts summed, status
--     'returned' when every quantity is negative (or a line says returned), 'cancelled' when a line says so,
--     'completed' when every quantity is positive; an invoice mixing sales and returns is decided by its net;
--   * an order-level returned order is the sale plus a return (negative, '<order_id>-R') at its return date; every
--     return carries negative amounts;
--   * orders without a customer id are anonymous sales (kept apart in anonymous_sales, not analysed per customer);
--   * order lines of an unknown or quarantined order go to quarantine.
-- Runs after the row rules and duplicate keys. Inputs: src_orders, src_sales_lines, src_order_items.
-- Outputs: temp tables _lines (invoice lines numbered), _all_orders (customer_id still a source record id) and
-- _items; the table anonymous_sales; the quarantined rows deleted from staging and set aside in _hits (for
-- build_quarantine.sql).
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

-- invoice lines of an invoice that is also in an order-level sales file
INSERT INTO _hits SELECT 'sales_lines', t.source_file, t.source_row, 'order_id',
       'order_id: ' || order_id || ' is also in an order-level sales file', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_sales_lines t WHERE order_id IN (SELECT order_id FROM src_orders);
DELETE FROM src_sales_lines t WHERE order_id IN (SELECT order_id FROM src_orders);

CREATE OR REPLACE TEMP TABLE _lines AS SELECT *, coalesce(line_no, row_number() OVER (PARTITION BY order_id
    ORDER BY source_file, source_row)) AS ln, quantity * unit_price AS gross_line FROM src_sales_lines;

-- an invoice whose lines disagree on the customer cannot be assigned: quarantine it
CREATE OR REPLACE TEMP TABLE _cf AS SELECT order_id FROM _lines GROUP BY order_id
HAVING count(DISTINCT customer_id) > 1;
INSERT INTO _hits SELECT 'sales_lines', t.source_file, t.source_row, 'customer_id',
       'customer_id: invoice ' || order_id || ' has lines with different customers', left(CAST(to_json(t) AS VARCHAR), 500)
FROM _lines t WHERE order_id IN (SELECT order_id FROM _cf);
DELETE FROM _lines t WHERE order_id IN (SELECT order_id FROM _cf);

CREATE OR REPLACE TEMP TABLE _line_orders AS
SELECT order_id, arg_min(customer_id, source_row) AS customer_id, min(order_ts) AS order_ts,
       arg_min(channel, source_row) AS channel, arg_min(store_id, source_row) AS store_id,
       round(sum(gross_line), 2) AS gross_amount, round(sum(coalesce(discount, 0)), 2) AS discount,
       round(sum(gross_line) - sum(coalesce(discount, 0)), 2) AS net_amount,
       CASE WHEN bool_and(quantity < 0) OR bool_or(status = 'returned') THEN 'returned'
            WHEN bool_or(status = 'cancelled') THEN 'cancelled'
            WHEN bool_and(quantity > 0) THEN 'completed'
            ELSE 'mixed' END AS status,
       arg_min(original_order_id, source_row) AS original_order_id,
       arg_min(source_system, source_row) AS source_system, min(source_file) AS source_file
FROM _lines GROUP BY order_id;
-- invoices mixing sales and returns: the net decides
UPDATE _line_orders SET status = CASE WHEN net_amount < 0 THEN 'returned' ELSE 'completed' END
WHERE status = 'mixed';

-- order-level sources: a returned order = the sale + a return (negative) at the return date
CREATE OR REPLACE TEMP TABLE _all_orders AS
SELECT order_id, customer_id, order_ts, channel, store_id,
       coalesce(gross_amount, net_amount + coalesce(discount, 0)) AS gross_amount,
       coalesce(discount, coalesce(gross_amount, net_amount) - coalesce(net_amount, gross_amount), 0) AS discount,
       coalesce(net_amount, gross_amount - coalesce(discount, 0)) AS net_amount,
       cost, CASE WHEN status IS NULL AND coalesce(net_amount, gross_amount) < 0 THEN 'returned'
                  WHEN coalesce(status, 'completed') = 'returned' AND coalesce(net_amount, gross_amount) >= 0
                  THEN 'completed' ELSE coalesce(status, 'completed') END AS status,
       original_order_id, returned_at, source_system, source_file FROM src_orders
UNION ALL
SELECT order_id || '-R', customer_id, coalesce(returned_at, order_ts), channel, store_id,
       -abs(coalesce(gross_amount, net_amount + coalesce(discount, 0))), -abs(coalesce(discount, 0)),
       -abs(coalesce(net_amount, gross_amount - coalesce(discount, 0))), -abs(cost), 'returned', order_id,
       NULL, source_system, source_file
FROM src_orders WHERE status = 'returned' AND coalesce(net_amount, gross_amount) >= 0
UNION ALL
SELECT order_id, customer_id, order_ts, channel, store_id, gross_amount, discount, net_amount, NULL,
       status, original_order_id, NULL, source_system, source_file FROM _line_orders;
UPDATE _all_orders SET gross_amount = -abs(gross_amount), discount = -abs(discount),
       net_amount = -abs(net_amount), cost = -abs(cost) WHERE status = 'returned';

-- anonymous sales: no customer id → counted, kept apart, not used for customer analysis
CREATE OR REPLACE TABLE anonymous_sales AS SELECT order_id, order_ts, channel, store_id, net_amount,
       status, source_file FROM _all_orders WHERE customer_id IS NULL ORDER BY order_ts, order_id;
DELETE FROM _all_orders WHERE customer_id IS NULL;

-- order lines of unknown (or quarantined) orders: quarantine
INSERT INTO _hits SELECT 'order_items', t.source_file, t.source_row, 'order_id',
       'order_id: line of an unknown or quarantined order ' || order_id, left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_order_items t WHERE order_id NOT IN (SELECT order_id FROM _all_orders UNION ALL
                                              SELECT order_id FROM anonymous_sales);
DELETE FROM src_order_items t WHERE order_id NOT IN (SELECT order_id FROM _all_orders UNION ALL
                                                     SELECT order_id FROM anonymous_sales);

-- order lines from order-level files and from invoice lines
CREATE OR REPLACE TEMP TABLE _items AS
SELECT order_id, coalesce(line_no, row_number() OVER (PARTITION BY order_id ORDER BY source_file, source_row))
       AS line_no, product_id, quantity, unit_price, coalesce(discount, 0) AS discount FROM src_order_items
UNION ALL SELECT order_id, ln, product_id, quantity, unit_price, coalesce(discount, 0) FROM _lines;
