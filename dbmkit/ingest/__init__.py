"""Ingest (收集数据): read a client's sources through the config's column mapping into canonical staging tables.

Each source (a CSV — any delimiter, UTF-8 with or without BOM, UTF-16/32, GBK/GB18030, cp1252, plain or compressed
with gzip/bz2/zip —, an Excel sheet, a Parquet file, or a SQL query through a DuckDB/SQLite/PostgreSQL URL) feeds
one canonical table; what a file really is comes from its bytes (``filetype``), so an image or archive under a
``.csv`` name is named as such. Parsing and type coercion happen in DuckDB, so large files load quickly. Every row
ends in exactly one place:

* loaded into the staging table ``src_<table>`` with its ``source_file`` and ``source_row`` (the line in the file,
  the row of the sheet, or the row of the query result), or
* quarantined in ``quarantine`` with the file, row, column and the reason (never silently dropped).

Numbers are read by the decimal convention of their column, decided from its values (``1.234,56`` in a column of
decimal commas is 1234.56, with a note in ``load_log``; ``dbmkit.ingest.numbers``); values against it, non-finite
or absurd amounts and transactions dated outside the plausible window are quarantined with the reason. Ids a
spreadsheet wrote as ``1.23457E+11`` stop the load (their digits are lost). A quote that never closes sets aside
its own line only.

A single value that cannot be read in an optional column (a birth date "31/02/1980") leaves that value empty and is
listed in ``value_issues``. ``load_log`` keeps, per source, rows read = rows loaded + rows quarantined.
Problems that stop a source from being read at all (file missing, wrong delimiter, a mapped column that does not
exist …) raise :class:`IngestError` naming the file, the column and the fix.

Example
-------
>>> import duckdb, pandas as pd, tempfile, os
>>> d = tempfile.mkdtemp(); p = os.path.join(d, "sales.csv")
>>> pd.DataFrame({"Invoice": ["1", "2"], "Date": ["2024-01-05", "not a date"],
...               "Amount": ["$10.50", "3"]}).to_csv(p, index=False)
>>> from dbmkit.config import SourceFile
>>> con = duckdb.connect()
>>> spec = SourceFile(path=p, columns={"order_id": "Invoice", "order_ts": "Date", "net_amount": "Amount"})
>>> res = load_source(con, "orders", spec, base_dir=d)
>>> (res.rows_read, res.rows_loaded, res.rows_quarantined)
(2, 1, 1)
"""
from __future__ import annotations

from .catalogue import DATA_KINDS, mapping_table, preview_source, source_records, source_spec, source_table, sources_of
from .errors import MAX_ID_LEN, MAX_TEXT_LEN, NULL_LIKE, SUPPORTED_SUFFIXES, IngestError, Limits, LoadResult
from .files import detect_encoding, detect_file
from .load import REJECTED_CONSENTS, ensure_ingest_tables, load_source, load_sources, read_table_preview
from .sql_sources import file_digest, source_fingerprint

__all__ = ["IngestError", "LoadResult", "Limits", "load_source", "load_sources", "detect_file", "detect_encoding",
           "NULL_LIKE",
           "sources_of", "source_table", "source_spec", "mapping_table", "preview_source", "source_records",
           "DATA_KINDS",
           "read_table_preview", "SUPPORTED_SUFFIXES", "ensure_ingest_tables", "MAX_ID_LEN", "MAX_TEXT_LEN",
           "file_digest", "source_fingerprint", "REJECTED_CONSENTS"]
