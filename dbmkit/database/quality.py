"""Data quality of the load (数据质量与核对): did every row arrive, what was set aside and why, how clean is it.

``reconciliation`` checks rows read = loaded + quarantined per source; ``quarantine_summary`` and
``value_issue_summary`` count the quarantined rows and the unreadable values by kind of problem
(``reason_kind``), with the first row to fix in each file; ``order_truth_check`` follows the synthetic client's
true orders into the database or quarantine; ``table_overview`` lists the main tables and what they hold. The
build's quality steps (``quality_before`` on the sources as loaded, ``quality_after`` on the stored tables) fill
the ``data_quality`` table (the before/after report of :func:`dbmkit.clean.quality_report`).

>>> reason_kind("order_ts: date in the future (2031-01-06 10:00:00)")
'order_ts: date in the future'
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .. import clean as _clean
from .. import sql as sqlfiles
from .store import connect, connection_of, run_step, sql_literal, table_counts

__all__ = ["QUALITY_SQL", "TABLE_NOTES", "quality_before", "quality_after", "reconciliation", "reason_kind",
           "reason_text", "quarantine_summary", "value_issue_summary", "order_truth_check", "table_overview"]

# what the data-quality report reads per stage and table (tables without a source are left out)
QUALITY_SQL = {
    "before cleaning": {
        "customers": "SELECT * FROM src_customers",
        "orders": sqlfiles.render("build_quality_orders_before"),
        "consents": "SELECT customer_id, channel, status, updated_at FROM src_consents"},
    "after cleaning": {
        "orders": sqlfiles.render("build_quality_orders_after"),
        "consents": "SELECT customer_id, channel, status, updated_at FROM consents"},
}
_QUALITY_COLUMNS = ["stage", "table", "column", "rows", "completeness", "validity", "uniqueness", "freshness_days"]


def quality_before(con, region: str, as_of) -> pd.DataFrame:
    """The data-quality report of the sources as loaded (before rules, duplicates, cleaning and merge/purge), for
    the tables that have a source."""
    parts = []
    for table, sql in QUALITY_SQL["before cleaning"].items():
        if not con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]:
            continue                  # no source for this table
        if table == "customers":      # customer-level: the full rules (e-mail syntax, phones …) in pandas
            parts.append(_clean.quality_report(con.execute(sql).df(), table, as_of=as_of, stage="before cleaning",
                                               region=region))
        else:                         # transactions: inside DuckDB
            parts.append(_clean.quality_report_sql(con, sql, table, as_of=as_of, stage="before cleaning"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_QUALITY_COLUMNS)


def quality_after(con, before: pd.DataFrame, gold: pd.DataFrame, region: str, as_of) -> pd.DataFrame:
    """Before and after cleaning, per table and column; stored as ``data_quality``."""
    sourced = set(before["table"])
    parts = [before]
    if "customers" in sourced:
        parts.append(_clean.quality_report(gold, "customers", as_of=as_of, stage="after cleaning", region=region))
    for table, sql in QUALITY_SQL["after cleaning"].items():
        if table in sourced:
            parts.append(_clean.quality_report_sql(con, sql, table, as_of=as_of, stage="after cleaning"))
    q = pd.concat(parts, ignore_index=True)
    con.register("_q", q)
    con.execute("CREATE OR REPLACE TABLE data_quality AS SELECT * FROM _q")
    con.unregister("_q")
    return q


def reconciliation(ws_or_con) -> pd.DataFrame:
    """Per source: rows read, loaded, quarantined and whether read = loaded + quarantined (it always should).

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE load_log AS SELECT 'orders' AS table_name, "
    ...     "'a.csv' AS source, 10 AS rows_read, 8 AS rows_loaded, 2 AS rows_quarantined")
    >>> reconciliation(con)["balanced"].tolist()
    [True]
    """
    con, close = connection_of(ws_or_con)
    try:
        df = run_step(con, "build_reconciliation").df()
    finally:
        if close:
            con.close()
    df["source"] = [Path(str(s)).name if not str(s).startswith("sql:") else s for s in df["source"]]
    return df


_KIND_RE = [(re.compile(r"'[^']*'"), "'…'"), (re.compile(r"\([^()]*\)"), ""),
            (re.compile(r"\b(?=[\w-]*\d)[\w-]+\b"), "…"), (re.compile(r"\s+"), " ")]


def reason_kind(reason: str) -> str:
    """A reason without its values, ids and row references, to count rows by kind of problem.

    >>> reason_kind("exact duplicate of order_id K10011011 (first at ./crm_orders.csv row 982)")
    'exact duplicate of order_id …'
    """
    r = str(reason)
    for rx, rep in _KIND_RE:
        r = rx.sub(rep, r)
    return r.strip(" ;:")


# the phrases of quarantine reasons and load warnings, in Chinese (a reason keeps its values, ids and file names)
REASON_ZH = [
    (r"^exact duplicate of (\S+) (\S+) \(first at (\S+) row (\d+)\)$", r"与 \1 \2 完全重复（首次出现在 \3 第 \4 行）"),
    (r"^(\S+) (\S+) appears again with different content \(first at (\S+) row (\d+)\)$",
     r"\1 \2 再次出现且内容不同（首次出现在 \3 第 \4 行）"),
    (r"^(\w+): date in the future \((.+), after the plausible dates, which end (\S+): `data.dates`\)$",
     r"\1：日期在未来（\2，晚于合理日期的上限 \3：`data.dates`）"),
    (r"^(\w+): cannot read '(.*)' as a date$", r"\1：无法把“\2”读作日期"),
    (r"^(\w+): line of an unknown or quarantined order (\S+)$", r"\1：所属订单 \2 不存在或已被隔离的明细行"),
    (r"^quantity: zero quantity \(nothing was sold or returned\)$", "quantity：数量为零（既没有售出也没有退货）"),
    (r"^repeated header line \(files concatenated\?\)$", "重复的表头行（文件被拼接在一起？）"),
    (r"^the same person was contacted twice in one campaign \(two records of one person\)$",
     "同一个人在一次营销活动中被联系了两次（同一个人的两条记录）"),
    (r"^no customer with this phone number$", "没有使用此电话号码的客户"),
    (r"^(\w+): missing$", r"\1：缺失"),
    (r"^(\d[\d,]*) value\(s\) of (\w+) could not be read and were left empty \(e\.g\. '(.*)'; see value_issues\)$",
     r"\2 有 \1 个值无法读取，已留空（例如“\3”；见 value_issues）"),
    (r"^no order_id mapped: each row is one order, numbered by its row in the file$",
     "未映射 order_id：每一行是一笔订单，按其在文件中的行号编号"),
]
_REASON_ZH = [(re.compile(rx), rep) for rx, rep in REASON_ZH]


def reason_text(reason, lang: str | None = None):
    """A quarantine reason or load warning as a page in ``lang`` (default: the current language) shows it: in
    Chinese the known phrases are translated, keeping values, ids and file names; anything else is returned as it is
    (an English page always gets the reason unchanged).

    >>> reason_text("exact duplicate of order_id K1 (first at ./orders.csv row 9)", "zh")
    '与 order_id K1 完全重复（首次出现在 ./orders.csv 第 9 行）'
    >>> reason_text("channel: missing", "en"), reason_text(None, "zh")
    ('channel: missing', None)
    """
    from ..i18n import get_language
    if not isinstance(reason, str) or (lang or get_language()) != "zh":
        return reason
    for rx, rep in _REASON_ZH:
        if rx.match(reason):
            return rx.sub(rep, reason)
    return reason


def quarantine_summary(ws_or_con) -> pd.DataFrame:
    """Quarantined rows by table, file and kind of reason, with the count and the first row in the file (the
    place to start fixing the source).

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> qs = quarantine_summary(ws)
    >>> int(qs["rows"].sum()) == ws.build_summary()["rows_quarantined"]
    True
    """
    con, close = connection_of(ws_or_con)
    try:
        q = con.execute("SELECT table_name, source, source_row, column_name, reason FROM quarantine").df()
    finally:
        if close:
            con.close()
    if q.empty:
        return pd.DataFrame(columns=["table_name", "source", "column_name", "reason_kind", "rows", "first_row",
                                     "example"])
    q["reason_kind"] = [reason_kind(r) for r in q["reason"]]
    q["source"] = [Path(str(x)).name for x in q["source"]]
    g = q.sort_values("source_row").groupby(["table_name", "source", "column_name", "reason_kind"], dropna=False)
    out = g.agg(rows=("reason", "size"), first_row=("source_row", "min"), example=("reason", "first")).reset_index()
    return out.sort_values("rows", ascending=False).reset_index(drop=True)


def order_truth_check(ws) -> dict | None:
    """Check the load against the synthetic client's true orders: how many true orders reached the database, how
    many are missing, and the quarantined order rows that hold a missing order id (a return is stored as
    ``<order>-R``; the truth calls it ``R<order>``). None for a real client (no truth).

    Runs as set work in DuckDB (an anti-join of the true ids with the stored ids, then a search of the few
    quarantined order rows for the missing ids), so it stays fast with millions of orders.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> check = order_truth_check(ws)
    >>> check["true_orders"] == check["in_database"] + check["missing"]
    True
    """
    if ws.truth is None:
        return None
    path = Path(ws.truth_dir) / "order_origin.parquet"
    con = connect(ws.db_path, read_only=True)
    try:
        if path.exists():
            truth_sql = f"SELECT DISTINCT order_id FROM read_parquet({sql_literal(str(path))})"
        else:
            con.register("_truth_orders", ws.truth["order_origin"][["order_id"]])
            truth_sql = "SELECT DISTINCT order_id FROM _truth_orders"
        con.execute(f"""CREATE TEMP TABLE _missing AS
            WITH truth AS ({truth_sql}),
                 db AS (SELECT CASE WHEN suffix(order_id, '-R') THEN 'R' || left(order_id, length(order_id) - 2)
                                    ELSE order_id END AS order_id FROM orders)
            SELECT order_id FROM truth ANTI JOIN db USING (order_id)""")
        n_true = int(con.execute(f"SELECT count(*) FROM ({truth_sql})").fetchall()[0][0])
        n_missing = int(con.execute("SELECT count(*) FROM _missing").fetchall()[0][0])
        found = con.execute("""SELECT q.reason, q.raw_values FROM quarantine q
            WHERE q.table_name = 'orders' AND EXISTS (SELECT 1 FROM _missing m
                WHERE contains(coalesce(CAST(q.raw_values AS VARCHAR), 'None'), m.order_id))""").df()
    finally:
        con.close()
    return {"true_orders": n_true, "in_database": n_true - n_missing, "missing": n_missing,
            "in_quarantine": len(found), "quarantined": found}


def value_issue_summary(ws_or_con) -> pd.DataFrame:
    """Unreadable values of optional columns (left empty, the row loaded) by table, file, column and kind of
    problem, with the count, the first row and one example value.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> list(value_issue_summary(ws).columns)
    ['table_name', 'source', 'column_name', 'problem_kind', 'values', 'first_row', 'example']
    """
    con, close = connection_of(ws_or_con)
    try:
        v = con.execute("SELECT table_name, source, source_row, column_name, problem, raw_value FROM value_issues").df()
    finally:
        if close:
            con.close()
    cols = ["table_name", "source", "column_name", "problem_kind", "values", "first_row", "example"]
    if v.empty:
        return pd.DataFrame(columns=cols)
    v["problem_kind"] = [reason_kind(p) for p in v["problem"]]
    v["source"] = [Path(str(x)).name for x in v["source"]]
    g = v.sort_values("source_row").groupby(["table_name", "source", "column_name", "problem_kind"], dropna=False)
    out = g.agg(values=("problem", "size"), first_row=("source_row", "min"), example=("raw_value", "first"))
    return out.reset_index()[cols].sort_values("values", ascending=False).reset_index(drop=True)


TABLE_NOTES = {
    "customers": "one row per person (golden record after merge/purge)",
    "customer_records": "every source record, linked to its person",
    "consents": "consent history per person and channel (latest wins)",
    "orders": "orders and returns (returns are negative), per person",
    "order_items": "order lines: product, quantity, price",
    "products": "the product master with costs",
    "campaigns": "past campaigns with their costs",
    "contacts": "who was contacted (treatment) or held out (control)",
    "responses": "tracked responses (coupon redemptions)",
    "email_events": "e-mail platform events: sent, delivered, opened …",
    "sms_events": "SMS platform events",
    "area_demographics": "postal-area statistics (for enrichment)",
    "anonymous_sales": "sales without a customer (counted, not analysed per customer)",
    "test_orders": "orders of test accounts (kept apart)",
    "quarantine": "rows that could not be loaded, with the reason",
    "value_issues": "single values that could not be read (left empty)",
    "load_log": "rows read / loaded / quarantined per source",
    "identity_pairs": "record pairs compared by merge/purge, with their match score",
    "customer_links": "known id links merge/purge applied as certain matches",
    "data_quality": "data-quality report before and after cleaning",
    "audit_log": "privacy actions (erasures) without personal data",
}


def table_overview(ws_or_con) -> pd.DataFrame:
    """The database's main tables with their row counts and what they hold.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> table_overview(ws).set_index("table").loc["customers", "holds"]
    'one row per person (golden record after merge/purge)'
    """
    counts = table_counts(ws_or_con)
    rows = [dict(table=t, rows=counts[t], holds=note) for t, note in TABLE_NOTES.items() if t in counts]
    return pd.DataFrame(rows)
