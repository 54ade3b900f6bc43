-- The orders as loaded, before rules, duplicates, cleaning and merge/purge, for the data-quality report
-- (数据质量, stage "before cleaning"): order-level rows and invoices summed from their lines.
-- Inputs: src_orders, src_sales_lines. Output: one row per source order (order_id, customer_id, order_ts,
-- channel, net_amount, status). Parameters: none.
SELECT order_id, customer_id, order_ts, channel, coalesce(net_amount, gross_amount) AS net_amount, status
FROM src_orders
UNION ALL
SELECT order_id, arg_min(customer_id, source_row), min(order_ts), arg_min(channel, source_row),
       sum(quantity * unit_price), arg_min(status, source_row)
FROM src_sales_lines GROUP BY 1
