"""Exercises of chapter 10 (collect: sources, mapping and quarantine)."""
from __future__ import annotations

from pathlib import Path

from . import exercise


@exercise("10.1", "Rows read from all sources",
          hint="The load log has one row per source: add up rows_read — "
               "ws.sql('SELECT sum(rows_read) AS n FROM load_log')['n'].iloc[0]",
          solution="answer = int(ws.sql('SELECT sum(rows_read) AS n FROM load_log')['n'].iloc[0])",
          rel_tol=0, abs_tol=0.5)
def _rows_read(ws):
    return int(ws.sql("SELECT coalesce(sum(rows_read), 0) AS n FROM load_log")["n"].iloc[0])


@exercise("10.2", "The source file with the most quarantined rows",
          hint="Sort dbm.database.reconciliation(ws) by rows_quarantined (largest first) and answer with the file "
               "name in the `source` column (a string such as 'orders.csv').",
          solution="r = dbm.database.reconciliation(ws)\n"
                   "answer = r.sort_values('rows_quarantined', ascending=False, kind='stable')['source'].iloc[0]",
          compare=lambda answer, expected: isinstance(answer, str) and answer.strip() in expected)
def _worst_file(ws):
    from ..database import reconciliation
    r = reconciliation(ws)
    return set(r.loc[r["rows_quarantined"] == r["rows_quarantined"].max(), "source"])     # any of a tie is right


@exercise("10.3", "Sales without a customer id (anonymous sales)",
          hint="Anonymous sales are counted in their own table: ws.sql('SELECT count(*) AS n FROM anonymous_sales').",
          solution="answer = int(ws.sql('SELECT count(*) AS n FROM anonymous_sales')['n'].iloc[0])",
          rel_tol=0, abs_tol=0.5)
def _anonymous(ws):
    return int(ws.sql("SELECT count(*) AS n FROM anonymous_sales")["n"].iloc[0])


@exercise("10.4", "Customers in the CDNOW sample, loaded through your own mapping",
          hint="Map the CSV's columns onto orders (customer_id, order_ts ← date, net_amount ← dollars), load it with "
               "dbm.ingest.load_sources({'orders': {...}}) and count distinct customer_id in src_orders.",
          solution="path = dbm.datasets.real.data_dir() / 'cdnow' / 'CDNOW_sample.csv'\n"
                   "con, log = dbm.ingest.load_sources({'orders': {'path': str(path), 'columns': {"
                   "'customer_id': 'customer_id', 'order_ts': 'date', 'net_amount': 'dollars'}}})\n"
                   "answer = con.sql('SELECT count(DISTINCT customer_id) FROM src_orders').fetchall()[0][0]",
          rel_tol=0, abs_tol=0.5)
def _cdnow_customers(ws=None):
    from ..datasets.real import data_dir
    from ..ingest import load_sources
    path = Path(data_dir()) / "cdnow" / "CDNOW_sample.csv"
    con, _ = load_sources({"orders": {"path": str(path), "columns": {
        "customer_id": "customer_id", "order_ts": "date", "net_amount": "dollars"}}})
    return int(con.execute("SELECT count(DISTINCT customer_id) FROM src_orders").fetchall()[0][0])
