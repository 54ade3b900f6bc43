-- The reconciliation of the load (数据核对), per source in load order: rows read, loaded and quarantined, and
-- whether read = loaded + quarantined (it always should: no row is lost silently).
-- Inputs: load_log. Output: one row per source (table_name, source, rows_read, rows_loaded, rows_quarantined,
-- balanced). Parameters: none.
SELECT table_name, source, rows_read, rows_loaded, rows_quarantined,
       rows_read = rows_loaded + rows_quarantined AS balanced
FROM load_log ORDER BY rowid
