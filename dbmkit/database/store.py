"""The database file itself (数据库): the canonical tables with their keys and checks, opening it, what is in it.

``ddl`` writes the CREATE TABLE of a canonical table from :mod:`dbmkit.schema` (primary keys, foreign keys, NOT NULL,
CHECK); ``connect`` opens the file (waiting while another process writes it); ``table_counts`` and
``table_fingerprints`` say what the database holds (two builds from the same input give the same fingerprints);
``create_views`` adds the views (``consent_latest``, ``purchases``, ``sales``, ``customer_view``) and ``write_meta``
the build's ``_meta`` record (schema version, analysis date, cleaning settings). ``run_step`` runs one build step's
SQL file (``dbmkit/sql/build_<step>.sql``). The other modules of :mod:`dbmkit.database` build on this one.

>>> import duckdb
>>> con = duckdb.connect(); _ = con.execute(ddl("products"))
>>> table_counts(con)
{'products': 0}
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from pathlib import Path

import duckdb
import pandas as pd

from .. import schema
from .. import sql as sqlfiles
from ..config import ClientConfig

__all__ = ["SCHEMA_VERSION", "SQL_TYPES", "PRIMARY_KEYS", "FOREIGN_KEYS", "VOLATILE_TABLES", "CANONICAL_TABLES",
           "AUDIT_LOG_DDL", "quote_name", "sql_literal", "ddl", "support_ddl", "connect", "connection_of",
           "limit_memory", "MEMORY_ENV", "DEFAULT_MEMORY_LIMIT",
           "base_tables",
           "table_counts", "table_fingerprints", "run_step", "register_text", "create_tables", "create_views",
           "write_meta", "enrich_customers"]

SCHEMA_VERSION = 7
SQL_TYPES = schema.SQL_TYPES
PRIMARY_KEYS = schema.PRIMARY_KEYS
FOREIGN_KEYS = schema.FOREIGN_KEYS
VOLATILE_TABLES = {"_meta", "audit_log"}      # build time and audit time differ between identical builds
# the canonical tables the build creates, in an order that satisfies their foreign keys
CANONICAL_TABLES = ["customers", "customer_records", "products", "area_demographics", "campaigns", "orders",
                    "order_items", "consents", "contacts", "responses", "email_events", "sms_events"]
AUDIT_LOG_DDL = ("CREATE TABLE IF NOT EXISTS audit_log (ts TIMESTAMP, action VARCHAR, subject_token VARCHAR, "
                 "detail VARCHAR)")


def quote_name(name: str) -> str:
    """A table or column name quoted for SQL.

    >>> print(quote_name("group"))
    "group"
    """
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A text as a SQL string literal (for the ``Raw`` fragments of a build step's SQL file).

    >>> sql_literal("it's")
    "'it''s'"
    """
    return "'" + str(text).replace("'", "''") + "'"


def ddl(table: str) -> str:
    """CREATE TABLE statement of a canonical table, with its keys and checks.

    >>> print(ddl("order_items").splitlines()[1])
      "order_id" VARCHAR NOT NULL,
    """
    lines = []
    for c in schema.TABLES[table]:
        nn = " NOT NULL" if c.required else ""
        chk = ""
        if c.type == "enum" and c.enum in schema.CHECKED_ENUMS:
            vals = ", ".join(f"'{v}'" for v in schema.ENUMS[c.enum])
            chk = f" CHECK ({quote_name(c.name)} IN ({vals}))"
        lines.append(f"{quote_name(c.name)} {SQL_TYPES[c.type]}{nn}{chk}")
    for cond, _ in schema.CHECKS.get(table, []):
        lines.append(f"CHECK ({cond})")
    if table in PRIMARY_KEYS:
        lines.append(f"PRIMARY KEY ({', '.join(quote_name(k) for k in PRIMARY_KEYS[table])})")
    for col, ref, refcol in FOREIGN_KEYS.get(table, []):
        lines.append(f"FOREIGN KEY ({quote_name(col)}) REFERENCES {ref} ({refcol})")
    return f"CREATE TABLE {table} (\n  " + ",\n  ".join(lines) + "\n)"


def support_ddl(table: str, replace: bool = False) -> str:
    """CREATE TABLE statement of a bookkeeping table of :data:`dbmkit.schema.SUPPORT_TABLES` (NOT NULL columns).

    >>> print(support_ddl("consent_uncertain").splitlines()[0])
    CREATE TABLE IF NOT EXISTS consent_uncertain (
    """
    cols = schema.SUPPORT_TABLES[table][1]
    lines = [f"{quote_name(c.name)} {SQL_TYPES[c.type]}{' NOT NULL' if c.required else ''}" for c in cols]
    verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
    return f"{verb} {table} (\n  " + ",\n  ".join(lines) + "\n)"


MEMORY_ENV = "DBMKIT_DUCKDB_MEMORY"
DEFAULT_MEMORY_LIMIT = "1.5GB"
"""DuckDB's working memory on a read-only connection unless ``DBMKIT_DUCKDB_MEMORY`` says otherwise (e.g. ``4GB``;
``default`` leaves DuckDB's own choice, 80 % of the machine's memory). Beyond it DuckDB spills its hash tables and
sorts to the temporary folder instead of growing (the 100k basket rules: half the memory for 5 % more CPU,
benchmarks/RESULTS.md). Writing connections and the build are capped only when the variable is set: at a million
people the build's insert of the orders (insertion order kept) failed with "Out of Memory" under a 1.5 GB cap.
The results do not depend on the limit."""


def limit_memory(con: duckdb.DuckDBPyConnection, temp_dir: str | Path | None = None,
                 limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Cap DuckDB's memory on ``con`` (``limit``, else ``$DBMKIT_DUCKDB_MEMORY``, else ``DEFAULT_MEMORY_LIMIT``) and
    let it spill to ``temp_dir`` (created when needed; DuckDB's default beside the database file when not given).

    >>> con = limit_memory(duckdb.connect(), limit="1GB")
    >>> con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    '953.6 MiB'
    """
    lim = (limit or os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY_LIMIT).strip()
    if lim.lower() != "default":
        if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", lim, flags=re.IGNORECASE):
            raise ValueError(f"{MEMORY_ENV} must be an amount such as 2GB or 512MB (or 'default'); got {lim!r}")
        con.execute(f"SET memory_limit = '{lim}'")
    if temp_dir is not None:
        Path(temp_dir).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {sql_literal(str(temp_dir))}")
    return con


def connect(path: str | Path, read_only: bool = True, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the marketing database; waits when another process has it open for writing (or, to write, while
    another has it open): up to ``wait`` seconds, default ``DBMKIT_DB_WAIT`` or 20 (the report runner sets 600
    for its chapters, which run several at a time). A read-only connection's DuckDB memory is capped
    (:func:`limit_memory`): larger work spills to ``<file>.tmp`` beside the database.

    >>> import os, tempfile
    >>> con = connect(os.path.join(tempfile.mkdtemp(), "x.duckdb"), read_only=False)
    >>> con.execute("SELECT 42").fetchall()
    [(42,)]
    """
    if wait is None:
        try:
            wait = float(os.environ.get("DBMKIT_DB_WAIT") or 20)
        except ValueError:
            wait = 20.0
    deadline = time.monotonic() + wait
    last = None
    k = 0
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("SET enable_progress_bar = false")
            # reads spill beside the database (DuckDB's default <file>.tmp) within the memory limit; writes (inserts
            # that keep insertion order cannot always spill) are capped only when DBMKIT_DUCKDB_MEMORY asks for it
            if read_only or os.environ.get(MEMORY_ENV):
                limit_memory(con)
            return con
        except duckdb.IOException as e:       # locked by a writer (or, to write: by a reader)
            last = e
            if time.monotonic() >= deadline:
                break
            k += 1
            time.sleep(min(0.02 * k, 0.25))   # short: another process's connections are often brief
    raise RuntimeError(f"the database {path} is locked by another process (a notebook or report still running?): "
                       f"{last}")


def connection_of(ws_or_con, read_only: bool = True):
    """(connection, close?) from a Workspace or Sandbox (a new connection to close after use) or a connection.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> connection_of(con) == (con, False)
    True
    """
    if hasattr(ws_or_con, "db_path"):
        return connect(ws_or_con.db_path, read_only=read_only), True
    return ws_or_con, False


def base_tables(con) -> list[str]:
    """The names of the database's tables (not views, not temporary tables), sorted.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE b (x INT); CREATE TABLE a (x INT); CREATE VIEW v AS SELECT 1")
    >>> base_tables(con)
    ['a', 'b']
    """
    return sorted(r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_schema = current_schema() AND table_catalog = current_database()").fetchall())


def table_counts(ws_or_con) -> dict[str, int]:
    """Rows per table of the database.

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE t AS SELECT range AS x FROM range(3)")
    >>> table_counts(con)
    {'t': 3}
    """
    con, close = connection_of(ws_or_con)
    try:
        return {n: con.execute(f"SELECT count(*) FROM {quote_name(n)}").fetchall()[0][0] for n in base_tables(con)}
    finally:
        if close:
            con.close()


def table_fingerprints(ws_or_con, exclude=VOLATILE_TABLES) -> dict[str, str]:
    """A content hash per table that ignores row order: two builds from the same input and seed give the same
    fingerprints (the build is reproducible). Tables with timestamps of the build itself are left out.

    >>> import duckdb
    >>> a, b = duckdb.connect(), duckdb.connect()
    >>> _ = a.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1), (2)) v(x)")
    >>> _ = b.execute("CREATE TABLE t AS SELECT * FROM (VALUES (2), (1)) v(x)")
    >>> table_fingerprints(a) == table_fingerprints(b)
    True
    """
    con, close = connection_of(ws_or_con)
    try:
        out = {}
        for t in base_tables(con):
            if t in exclude:
                continue
            out[t] = con.execute(f"""SELECT coalesce(md5(string_agg(h, ',' ORDER BY h)), 'empty') FROM
                (SELECT md5(CAST(x AS VARCHAR)) AS h FROM {quote_name(t)} x)""").fetchall()[0][0]
        return out
    finally:
        if close:
            con.close()


def run_step(con, name: str, **identifiers) -> duckdb.DuckDBPyConnection:
    """Run one build step's SQL file (``dbmkit/sql/<name>.sql``, its statements in order); ``identifiers`` fill its
    ``{placeholders}`` (see :func:`dbmkit.sql.render`). Returns the connection, holding the last statement's result.

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE load_log (table_name VARCHAR, source VARCHAR, "
    ...     "rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT)")
    >>> run_step(con, "build_reconciliation").df().columns[-1]
    'balanced'
    """
    return con.execute(sqlfiles.render(name, **identifiers))


def register_text(con, name: str, df: pd.DataFrame, text_cols: list[str]) -> None:
    """A temp table from a DataFrame with the given columns as VARCHAR (an empty or all-NULL column would otherwise
    get another type).

    >>> import duckdb
    >>> con = duckdb.connect(); register_text(con, "_t", pd.DataFrame({"a": [None], "n": [1]}), ["a"])
    >>> con.execute("SELECT typeof(a), typeof(n) FROM _t").fetchall()
    [('VARCHAR', 'BIGINT')]
    """
    con.register(f"{name}_df", df)
    sel = ", ".join(f"CAST({quote_name(c)} AS VARCHAR) AS {quote_name(c)}" if c in text_cols else quote_name(c)
                    for c in df.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {sel} FROM {name}_df")
    con.unregister(f"{name}_df")


def create_tables(con) -> None:
    """(Re)create the canonical tables, empty, with their keys and checks.

    >>> import duckdb
    >>> con = duckdb.connect(); create_tables(con)
    >>> sorted(table_counts(con)) == sorted(CANONICAL_TABLES)
    True
    """
    for t in CANONICAL_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    for t in CANONICAL_TABLES:
        con.execute(ddl(t))


def create_views(con) -> None:
    """The views of the database (``build_views.sql``): latest consent per person and channel (an opt-out wins a
    timestamp tie), completed purchases, sales (all but cancelled) and the customer view with area data, purchase
    summary and consents.

    >>> import duckdb
    >>> con = duckdb.connect(); create_tables(con); create_views(con)
    >>> sorted(r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall())
    ['consent_latest', 'customer_view', 'purchases', 'sales']
    """
    con.execute(support_ddl("consent_uncertain"))     # read by consent_latest (the build's consent step fills it)
    run_step(con, "build_views")


def write_meta(con, cfg: ClientConfig, report: dict) -> None:
    """The ``_meta`` table of a build (schema version, build time, client, analysis date, the build report and the
    cleaning settings), and an empty ``audit_log``.

    >>> import duckdb
    >>> from dbmkit.config import load_config
    >>> con = duckdb.connect(); create_tables(con)
    >>> cfg = load_config({"client": "x", "analysis_date": "2024-12-31", "data": {"synthetic": {"n_people": 300}}})
    >>> write_meta(con, cfg, {"rows_read": 0})
    >>> dict(con.execute("SELECT * FROM _meta").fetchall())["as_of"]
    '2024-12-31'
    """
    last = con.execute("SELECT max(order_ts) FROM orders WHERE status = 'completed'").fetchall()[0][0]
    as_of = cfg.analysis_date or (last.date() if last else dt.date.today())
    meta = {"schema_version": SCHEMA_VERSION, "built_at": dt.datetime.now().isoformat(timespec="seconds"),
            "client": cfg.client, "as_of": str(as_of), "report": json.dumps(report, default=str),
            "cleaning": json.dumps({"region": cfg.data.default_phone_region,
                                    "as_of": str(cfg.analysis_date or pd.Timestamp.today().date()),
                                    "test_patterns": list(cfg.data.test_email_patterns),
                                    "staff_domains": list(cfg.data.staff_email_domains),
                                    "match_threshold": cfg.data.match_threshold,
                                    "source_priority": list(cfg.data.source_priority)})}
    con.execute("CREATE OR REPLACE TABLE _meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany("INSERT INTO _meta VALUES (?, ?)", [[k, str(v)] for k, v in meta.items()])
    con.execute(AUDIT_LOG_DDL)


def enrich_customers(customers: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Data append (附加数据): add postal-area demographics (households, population, median income, age mix)
    to each customer by postal code (what the ``customer_view`` view does inside the database).

    >>> enrich_customers(pd.DataFrame({"customer_id": ["P1"], "postal_code": ["10001"]}),
    ...                  pd.DataFrame({"postal_code": ["10001"], "median_income": [70000]})).columns.tolist()
    ['customer_id', 'postal_code', 'area_median_income']
    """
    a = areas.rename(columns={c: f"area_{c}" for c in areas.columns if c != "postal_code"})
    return customers.merge(a, on="postal_code", how="left")
