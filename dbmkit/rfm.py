"""Customer summaries and RFM analysis (近期 Recency, 频率 Frequency, 金额 Monetary).

``customer_summary`` turns any transaction table into one row per customer in a single DuckDB pass — the BTYD
inputs (frequency = repeat purchase days, recency = time from first to last purchase, T = time from first purchase
to the analysis date) plus days since the last purchase, orders, total and mean repeat spend.

Example
-------
>>> tx = pd.DataFrame({"cust": ["a", "a", "a", "b"],
...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-10"]),
...                    "amount": [10.0, 5.0, 20.0, 7.0]})
>>> s = customer_summary(tx, "cust", "date", "amount", as_of="2024-01-31")
>>> s[["customer_id", "frequency", "recency", "T", "days_since_last", "monetary_mean_repeat"]].values.tolist()
[['a', 1, 14.0, 30.0, 16, 20.0], ['b', 0, 0.0, 21.0, 21, 0.0]]
"""
from __future__ import annotations

import duckdb
import pandas as pd

from . import sql as _sql

__all__ = ["customer_summary", "build_customer_summary", "TIME_UNITS"]

TIME_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def customer_summary(transactions: pd.DataFrame | str, customer_col: str = "customer_id", date_col: str = "order_ts",
                     amount_col: str = "net_amount", as_of=None, time_unit: str = "D",
                     con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """One row per customer: frequency, recency, T (BTYD, in ``time_unit``), days_since_last, n_orders,
    monetary_total, monetary_mean_repeat, first_purchase, last_purchase.

    ``transactions`` is a DataFrame (or the name of a table in ``con``); the work runs in DuckDB, so tens of
    millions of rows take seconds. ``as_of`` defaults to the last transaction date; later rows are ignored.
    """
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {list(TIME_UNITS)}, not {time_unit!r}")
    own = con is None
    con = con or duckdb.connect()
    try:
        if isinstance(transactions, pd.DataFrame):
            missing = [c for c in (customer_col, date_col, amount_col) if c not in transactions.columns]
            if missing:
                raise KeyError(f"transactions has no column(s) {missing}; it has {list(transactions.columns)}")
            con.register("_cs_tx", transactions[[customer_col, date_col, amount_col]])
            table = "_cs_tx"
        else:
            table = transactions
        if as_of is None:
            as_of = con.execute(f'SELECT max(CAST("{date_col}" AS DATE)) FROM {table}').fetchall()[0][0]
        sql = _sql.render("customer_summary", tx=_sql.Raw(table), customer=customer_col, ts=date_col, amount=amount_col)
        out = con.execute(sql, {"as_of": pd.Timestamp(as_of).date(), "unit": TIME_UNITS[time_unit]}).df()
    finally:
        if own:
            con.close()
    return out


def build_customer_summary(ws) -> pd.DataFrame:
    """The ``customer_summary`` table of the marketing database (days; as of the workspace's analysis date)."""
    return _sql.run(ws, "customer_summary_db", {"as_of": ws.as_of.date()})
