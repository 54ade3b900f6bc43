"""Row rules and duplicate keys (数据规则与去重): what sends a staged row to quarantine, and the bookkeeping that
keeps every source's rows read = loaded + quarantined.

A build step that rejects rows deletes them from its staging table and sets them aside in the temp table
``_hits`` (the columns of ``quarantine``: table, source file, row, column, reason, raw values); ``quarantine_hits``
then moves them into ``quarantine`` and counts them as quarantined instead of loaded in ``load_log``
(``build_quarantine.sql``). ``rules_and_duplicates`` is the build's first step: the row rules that need the whole
table (``build_row_rules.sql``: future dates, zero quantities, negative prices, missing or negative amounts) and
the duplicate keys (``build_duplicates.sql``: exact duplicates and conflicting rows, the first row per key kept).

>>> import duckdb
>>> from dbmkit.ingest import ensure_ingest_tables
>>> con = duckdb.connect(); ensure_ingest_tables(con)
>>> _ = con.execute("CREATE TABLE src_products AS SELECT * FROM (VALUES ('SKU1', 'a', 'f.csv', 1, 'x'), "
...     "('SKU1', 'a', 'f.csv', 2, 'x')) t(product_id, name, source_file, source_row, source_system)")
>>> dedupe(con, "products", ["product_id"], "product_id")
>>> con.execute("SELECT source_row, reason FROM quarantine").fetchall()
[(2, 'exact duplicate of product_id SKU1 (first at f.csv row 1)')]
"""
from __future__ import annotations

import pandas as pd

from ..sql import Raw
from .store import quote_name, run_step

__all__ = ["quarantine_hits", "quarantine_frame", "dedupe", "rules_and_duplicates"]


def quarantine_hits(con) -> None:
    """Move the rows a step set aside in ``_hits`` into ``quarantine`` and count them as quarantined in
    ``load_log`` (``build_quarantine.sql``); drops ``_hits``."""
    run_step(con, "build_quarantine")


def quarantine_frame(con, relation: str) -> None:
    """Quarantine the rows of a registered table or DataFrame ``relation`` with the columns of ``quarantine`` (in
    that order), counting them in ``load_log``; the caller removes the rows from its staging table."""
    con.execute("CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0")
    con.execute(f"INSERT INTO _hits SELECT * FROM {relation}")
    quarantine_hits(con)


def dedupe(con, table: str, key: list[str], label: str) -> None:
    """Keep the first row per key (in file and row order); quarantine the others as exact duplicates or as
    conflicting rows (same key, different content). Only the keys that repeat are examined."""
    src = f"src_{table}"
    k = ", ".join(quote_name(c) for c in key)
    cols = [r[0] for r in con.execute(f"DESCRIBE {src}").fetchall()]
    content = [c for c in cols if c not in ("source_file", "source_row", "source_system")]
    h = "md5(concat_ws('|', " + ", ".join(f"coalesce(CAST({quote_name(c)} AS VARCHAR), '∅')" for c in content) + "))"
    dup = run_step(con, "build_duplicates", src=src, key=Raw(k),
                   key_not_null=Raw(" AND ".join(f"{quote_name(c)} IS NOT NULL" for c in key)),
                   content_hash=Raw(h),
                   key_value=Raw(" || ".join(f"CAST(d.{quote_name(c)} AS VARCHAR)" for c in key))).df()
    if len(dup):
        reasons = []
        for same, kv, ff, fr, sys_, fsys in zip(dup["same"], dup["keyval"], dup["first_file"], dup["first_row"],
                                                dup["sys"], dup["first_sys"]):
            r = (f"exact duplicate of {label} {kv}" if same else f"{label} {kv} appears again with different content")
            r += f" (first at {ff} row {fr})"
            if table == "customers" and sys_ != fsys:
                r += "; two systems use the same ids? set `id_prefix` for one of them"
            reasons.append(r)
        q = pd.DataFrame({"table_name": table, "source": dup["source"], "source_row": dup["source_row"],
                          "column_name": key[0], "reason": reasons, "raw_values": dup["raw"]})
        con.register("_qd", q)
        con.execute(f"DELETE FROM {src} WHERE (source_file, source_row) IN (SELECT (source, source_row) FROM _qd)")
        quarantine_frame(con, "_qd")
        con.unregister("_qd")
    con.execute("DROP TABLE IF EXISTS _dd; DROP TABLE IF EXISTS _dk")


def rules_and_duplicates(con) -> None:
    """The build's first step on the staged sources: the row rules that need the whole table (future dates, zero
    quantities, negative prices, missing or negative amounts; ``build_row_rules.sql``), then duplicate keys of
    products, orders, campaigns, postal areas, customers and order and invoice lines (when every line has a
    number)."""
    run_step(con, "build_row_rules")
    quarantine_hits(con)
    dedupe(con, "products", ["product_id"], "product_id")
    dedupe(con, "orders", ["order_id"], "order_id")
    dedupe(con, "campaigns", ["campaign_id"], "campaign_id")
    dedupe(con, "area_demographics", ["postal_code"], "postal_code")
    dedupe(con, "customers", ["customer_id"], "customer_id")
    if not con.execute("SELECT count(*) FROM src_order_items WHERE line_no IS NULL").fetchall()[0][0]:
        dedupe(con, "order_items", ["order_id", "line_no"], "order line")
    if not con.execute("SELECT count(*) FROM src_sales_lines WHERE line_no IS NULL").fetchall()[0][0]:
        dedupe(con, "sales_lines", ["order_id", "line_no"], "invoice line")
