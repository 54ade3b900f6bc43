-- Duplicate keys of one staged table: the rows whose key ({key}) appeared earlier (in file and row order), each
-- with the first row of its key and whether the two have the same content (an exact duplicate) or not (a conflict).
-- Only the keys that repeat are examined. The caller words the reasons, quarantines the later rows and drops
-- _dk and _dd.
-- Inputs: {src} (a staging table with source_file, source_row, source_system).
-- Outputs: temp tables _dk (the repeated keys) and _dd (their rows numbered per key); the result: one row per
-- later row (source, source_row, first_file, first_row, same, sys, first_sys, keyval, raw) in file and row order.
-- Parameters (Raw fragments written by dbmkit.database.rules.dedupe): {key} the quoted key columns,
-- {key_not_null} the key columns all filled, {content_hash} an md5 over the content columns (not the source
-- columns), {key_value} the key as one text.
CREATE OR REPLACE TEMP TABLE _dk AS
SELECT {key} FROM {src} WHERE {key_not_null} GROUP BY {key} HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE _dd AS
SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY source_file, source_row) AS _rn, {content_hash} AS _h
FROM {src} s SEMI JOIN _dk USING ({key});

SELECT d.source_file AS source, d.source_row, f.source_file AS first_file, f.source_row AS first_row,
       d._h = f._h AS same, d.source_system AS sys, f.source_system AS first_sys, {key_value} AS keyval,
       left(CAST(to_json(d) AS VARCHAR), 500) AS raw
FROM _dd d JOIN (SELECT * FROM _dd WHERE _rn = 1) f USING ({key})
WHERE d._rn > 1 ORDER BY d.source_file, d.source_row
