"""The transaction-level SQL of the workbook, one query per file (``dbmkit/sql/<name>.sql``).

Anything whose cost grows with the number of transactions runs here, in DuckDB, not in pandas. Keeping the queries
in plain .sql files makes them easy to read, to test and to port to another engine. Queries take DuckDB named
parameters (``$as_of``); table and column names that vary are written ``{name}`` and filled by ``render``.

>>> "SELECT" in load("monthly_revenue")
True
"""
from __future__ import annotations

import re
from importlib.resources import files

__all__ = ["load", "render", "run", "names", "Raw", "identifier", "transaction_table"]


def names() -> list[str]:
    return sorted(p.name[:-4] for p in files(__name__).iterdir() if p.name.endswith(".sql"))


def load(name: str) -> str:
    p = files(__name__) / f"{name}.sql"
    if not p.is_file():
        raise KeyError(f"no SQL named {name!r}; have: {', '.join(names())}")
    return p.read_text(encoding="utf-8")


def identifier(x: str) -> str:
    """A column or table name quoted for SQL, refused unless it is a plain name (no injection through a knob).

    >>> identifier("net_amount")
    '"net_amount"'
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(x)):
        raise ValueError(f"not a safe column or table name: {x!r}")
    return '"' + str(x) + '"'


class Raw(str):
    """A SQL fragment written by dbmkit code (never user input), inserted as is by ``render``."""


def render(name: str, **identifiers) -> str:
    """The query with ``{name}`` placeholders replaced by quoted identifiers (or ``Raw`` fragments)."""
    lines = []
    for line in load(name).splitlines():
        if not line.lstrip().startswith("--"):          # placeholders in comments stay as they are
            for k, v in identifiers.items():
                line = line.replace("{" + k + "}", v if isinstance(v, Raw) else identifier(v))
        lines.append(line)
    return "\n".join(lines)


def run(target, name: str, params: dict | None = None, frames: dict | None = None, **identifiers):
    """Run a named query on a Workspace or a DuckDB connection; returns a DataFrame.

    On a Workspace whose config says ``engine: spark``, the queries of ``dbmkit.sql.spark.SPARK_QUERIES`` run on
    Spark (translated from this DuckDB SQL, the result in DuckDB's dtypes); a DuckDB connection always runs DuckDB.
    ``frames`` ({"_segments": df}) are DataFrames the query reads besides the database's tables: registered on the
    connection for the query (and handed to Spark with the tables on a Spark workspace)."""
    sql = render(name, **identifiers)
    frames = dict(frames or {})
    spark = getattr(target, "runs_on_spark", None)
    if spark is not None and spark(name):
        return target.run_on_spark(name, sql, params or {}, frames=frames)
    if hasattr(target, "connect") and hasattr(target, "cfg"):
        with target.connect() as con:
            return _with_frames(con, frames, sql, params)
    return _with_frames(target, frames, sql, params)


def transaction_table(con, transactions, columns: list[str], caller: str, view: str) -> str:
    """The table a transaction-level query of ``caller`` reads, as SQL text. On a Workspace (``con=ws``):
    ``transactions`` names a table of its database. On a DuckDB connection: a DataFrame is registered as ``view``
    (only ``columns``, each checked to exist), a text is a table of that connection.

    >>> import duckdb, pandas as pd
    >>> con = duckdb.connect()
    >>> transaction_table(con, pd.DataFrame({"c": ["a"], "d": [1]}), ["c"], "f", "_f_tx")
    '_f_tx'
    >>> transaction_table(con, pd.DataFrame({"c": ["a"]}), ["c", "x"], "f", "_f_tx")
    Traceback (most recent call last):
    KeyError: "transactions has no column(s) ['x']; it has ['c']"
    """
    if hasattr(con, "connect") and hasattr(con, "cfg"):           # a Workspace
        if not isinstance(transactions, str):
            raise TypeError(f"{caller}(con=<Workspace>) reads a table of the workspace's database: give its name "
                            "(e.g. 'purchases'), or a DataFrame without con")
        return identifier(transactions)
    if hasattr(transactions, "columns"):                            # a DataFrame
        missing = [c for c in columns if c not in transactions.columns]
        if missing:
            raise KeyError(f"transactions has no column(s) {missing}; it has {list(transactions.columns)}")
        con.register(view, transactions[columns])
        return view
    return transactions


def _with_frames(con, frames: dict, sql: str, params: dict | None):
    """The query's result on ``con`` with ``frames`` registered for it (and unregistered afterwards)."""
    for k, df in frames.items():
        con.register(k, df)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        for k in frames:
            con.unregister(k)
