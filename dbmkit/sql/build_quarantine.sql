-- Move the rows a build step set aside in _hits into quarantine, and count them as quarantined instead of loaded
-- in load_log, so rows read = loaded + quarantined keeps holding for every source.
-- Inputs: _hits (the columns of quarantine: table_name, source, source_row, column_name, reason, raw_values; in the
-- order the step found the rows), load_log. The step has already deleted the rows from its staging table.
-- Outputs: the rows appended to quarantine; load_log counts moved; _hits dropped.
-- Parameters: none.
INSERT INTO quarantine SELECT table_name, source, source_row, column_name, reason, raw_values FROM _hits;

UPDATE load_log SET rows_loaded = load_log.rows_loaded - h.n, rows_quarantined = load_log.rows_quarantined + h.n
FROM (SELECT table_name, source, count(*) AS n FROM _hits GROUP BY table_name, source) h
WHERE load_log.source = h.source AND load_log.table_name = h.table_name;

DROP TABLE _hits;
