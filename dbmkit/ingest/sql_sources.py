"""Database sources: a read-only SQL query through a DuckDB, SQLite or PostgreSQL URL, run sandboxed (one
SELECT, no files, no other databases, no extensions), or a Spark SQL query on the client's Spark session
(``url: spark``: the tables of its catalog and the Parquet/CSV files it can see, one SELECT); and the fingerprints
of sources (``file_digest``, ``source_fingerprint``) that tell the workspace when a client's data have changed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..config import SourceFile
from .errors import IngestError, LoadResult, quote_name, quote_text
from .files import client_path, dedupe_names

SQL_URL = re.compile(r"^(duckdb|sqlite|sqlite3|postgresql|postgres)(?:\+\w+)?://(.*)$")
# a Spark source: `spark` (or `spark:`), the client's Spark session; or a master of its own, spark://… or sc://…
SPARK_URL = re.compile(r"^(?:spark:?|(?:spark|sc)://\S+)$")

# A source query only reads: one SELECT (WITH … SELECT, VALUES, FROM …, TABLE …). It never writes files, attaches
# other databases, loads extensions or changes settings.
_READ_KEYWORDS = {"SELECT", "WITH", "VALUES", "FROM", "TABLE"}
_SQL_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\$(\w*)\$.*?\$\1\$",
                        re.S)
_QUERY_FIX = ("write one SELECT … FROM … query (WITH … SELECT is fine); a source query only reads the tables of its "
              "own database — it cannot write files (COPY … TO, EXPORT), attach other databases (ATTACH), load "
              "extensions (INSTALL/LOAD) or change settings (SET, PRAGMA): give another database its own source "
              "with `url:`, or export the data as CSV/Parquet")


def _read_only_query(query: str, label: str, fix: str = _QUERY_FIX) -> str:
    """The query without its trailing ``;`` when it is one reading statement; otherwise an IngestError naming what
    the query would do.

    >>> _read_only_query("/* orders */ SELECT * FROM sales; ", "x")
    '/* orders */ SELECT * FROM sales'
    >>> _read_only_query("COPY sales TO '/tmp/x.csv'", "sql source (duckdb:///shop.duckdb)")
    Traceback (most recent call last):
    ...
    dbmkit.ingest.IngestError: sql source (duckdb:///shop.duckdb): the query is a COPY statement, but a source
      query may only read (one SELECT)
      Fix: write one SELECT … FROM … query (WITH … SELECT is fine); a source query only reads the tables of its own
      database — it cannot write files (COPY … TO, EXPORT), attach other databases (ATTACH), load extensions
      (INSTALL/LOAD) or change settings (SET, PRAGMA): give another database its own source with `url:`, or export
      the data as CSV/Parquet
    """
    bare = _SQL_NOISE.sub(lambda m: " " if m.group(0).startswith(("--", "/*")) else "''", query or "")
    parts = [x for x in bare.split(";") if x.strip()]
    if not parts:
        raise IngestError("the query is empty", file=label, fix=fix)
    if len(parts) > 1:
        raise IngestError(f"the query holds {len(parts)} statements, but a source query is one SELECT", file=label,
                          fix=fix)
    words = re.findall(r"[A-Za-z_]+", parts[0])
    first = words[0].upper() if words else "?"
    if first not in _READ_KEYWORDS:
        kind = " ".join(w.upper() for w in words[:2]) if first in ("EXPORT", "IMPORT", "CREATE", "DROP") else first
        raise IngestError(f"the query is a {kind} statement, but a source query may only read (one SELECT)",
                          file=label, fix=fix)
    q = query.strip()
    while q.endswith(";"):
        q = q[:-1].rstrip()
    return q


def _sandboxed_duckdb(path: Path, label: str):
    """An in-memory DuckDB with the client's database attached read-only and then sealed: no file access outside
    it, no extensions, settings locked (a client query cannot read /etc/passwd, write a file or attach another
    database)."""
    con = duckdb.connect(":memory:")
    try:
        # named after the file, as DuckDB names a database it opens (shop.duckdb → shop.main.sales)
        alias = path.stem if path.stem and path.stem.lower() not in ("memory", "system", "temp", "main") else "client"
        con.execute(f"ATTACH {quote_text(str(path))} AS {quote_name(alias)} (READ_ONLY)")
        con.execute(f"USE {quote_name(alias)}")
        for setting in ("autoinstall_known_extensions = false", "autoload_known_extensions = false",
                        "enable_external_access = false", "lock_configuration = true"):
            con.execute(f"SET {setting}")
    except duckdb.Error as e:
        con.close()
        raise IngestError(f"cannot open the DuckDB database ({str(e).splitlines()[0]})", file=label,
                          fix="check that `url` points at a DuckDB database file "
                              "(duckdb:///path/file.duckdb)") from None
    return con


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL_SECRET = re.compile(r"^(\w+(?:\+\w+)?://[^/@:?#]*:)([^/@?#]*)(@)")
_CONNECT_TOKEN = re.compile(r"(;token=)(?!\$\{)[^;]+")       # Spark Connect: sc://host:15002/;token=…
_CREDENTIALS_FIX = ("leave the password out of the config: write postgresql://user@host:5432/db and set PGPASSWORD "
                    "(or a ~/.pgpass file, or a service in ~/.pg_service.conf) in the environment that runs dbmkit; "
                    "any part of the URL may also name an environment variable as ${NAME}, e.g. "
                    "postgresql://${SHOP_DB_USER}@${SHOP_DB_HOST}/shop")


def shown_url(url: str | None) -> str:
    """The database URL as messages show it: a password written in it is replaced by ``***``.

    >>> shown_url("postgresql://ann:s3cret@db.example.com/shop")
    'postgresql://ann:***@db.example.com/shop'
    >>> shown_url("postgresql://${DB_USER}@db/shop")
    'postgresql://${DB_USER}@db/shop'
    >>> shown_url("sc://spark.acme.internal:15002/;user_id=ann;token=s3cret")
    'sc://spark.acme.internal:15002/;user_id=ann;token=***'
    """
    shown = _URL_SECRET.sub(lambda m: m.group(1) + ("***" if m.group(2) else "") + m.group(3), url or "")
    return _CONNECT_TOKEN.sub(r"\1***", shown) if shown.startswith("sc://") else shown


def resolve_url(url: str, label: str) -> str:
    """The URL to connect to: ``${NAME}`` parts replaced by environment variables. A password written literally
    in the config is refused (config files are copied, mailed and committed); the driver reads it from the
    environment instead (PGPASSWORD, ~/.pgpass).

    >>> resolve_url("postgresql://ann:pw@db/shop", "sql source")
    Traceback (most recent call last):
    ...
    dbmkit.ingest.IngestError: sql source: the database URL holds a password, and a config file is no place for one
      Fix: leave the password out of the config: write postgresql://user@host:5432/db and set PGPASSWORD (or a
      ~/.pgpass file, or a service in ~/.pg_service.conf) in the environment that runs dbmkit; any part of the URL may
      also name an environment variable as ${NAME}, e.g. postgresql://${SHOP_DB_USER}@${SHOP_DB_HOST}/shop
    """
    m = _URL_SECRET.match(url)
    if m and m.group(2) and not _ENV_REF.fullmatch(m.group(2)):
        raise IngestError("the database URL holds a password, and a config file is no place for one", file=label,
                          fix=_CREDENTIALS_FIX)
    missing = [n for n in _ENV_REF.findall(url) if n not in os.environ]
    if missing:
        raise IngestError(f"the database URL names the environment variable {missing[0]}, which is not set",
                          file=label, fix=f"set {missing[0]} in the environment that runs dbmkit (export "
                                          f"{missing[0]}=…), or write the value into `url` if it is not a secret")
    return _ENV_REF.sub(lambda v: os.environ[v.group(1)], url)


_SQLITE_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                   getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_SQLITE_ACTIONS = {v: k.removeprefix("SQLITE_").replace("_", " ") for k, v in vars(sqlite3).items()
                   if k.startswith("SQLITE_") and isinstance(v, int) and k not in (
                       "SQLITE_OK", "SQLITE_DENY", "SQLITE_IGNORE") and not k.startswith(("SQLITE_LIMIT",
                                                                                          "SQLITE_DBCONFIG"))}


def stage_sql(con, spec, base_dir, stg, res):
    """Run the source's query (``spec.sql`` on ``spec.url``) and stage its rows in the temporary table ``stg`` of
    ``con``: every column as text, ``_row`` numbering the rows from 1."""
    url = spec.url
    label = f"sql source ({shown_url(url)})"
    if SPARK_URL.match((url or "").strip()):
        _stage_spark(con, spec, label, stg, res)
        return
    m = SQL_URL.match(url or "")
    if not m:
        raise IngestError(f"unsupported database URL '{shown_url(url)}'", file=label,
                          fix="use duckdb:///path/file.duckdb, sqlite:///path/file.db, postgresql://user@host/db or "
                              "spark (a Spark SQL query; other databases: export the table as CSV or Parquet)")
    url = resolve_url(url, label)
    kind, rest = SQL_URL.match(url).group(1), SQL_URL.match(url).group(2)
    query = _read_only_query(spec.sql, label)
    if kind in ("duckdb", "sqlite", "sqlite3"):
        rest = rest[1:] if rest.startswith("/") else rest        # duckdb:///rel.db → rel.db; duckdb:////abs → /abs
        p = client_path(rest, base_dir, label, what="`url`")
        if not p.exists():
            raise IngestError(f"database file not found: {p}", file=label,
                              fix="check the path in `url` (duckdb:///relative/path.duckdb is relative to the "
                                  "config file; use four slashes for an absolute path)")
    denied: list[str] = []
    try:
        if kind == "duckdb":
            src = _sandboxed_duckdb(p, label)
            try:
                kinds = [st.type.name for st in src.extract_statements(query)]
                if kinds != ["SELECT"]:
                    raise IngestError(f"the query is a {' + '.join(kinds) or 'empty'} statement, but a source query "
                                      "may only read (one SELECT)", file=label, fix=_QUERY_FIX)
                try:        # every column as text, so ids keep their leading zeros and amounts their digits
                    cur = src.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({query})")
                except duckdb.ParserException:
                    cur = src.execute(query)
                rows = cur.fetchall()
                names = [d[0] for d in cur.description or []]
            finally:
                src.close()
        elif kind in ("sqlite", "sqlite3"):
            sc = sqlite3.connect(f"file:{p}?mode=ro", uri=True)

            def authorize(action, *_):          # only reading; ATTACH, PRAGMA, writes … are refused
                if action in _SQLITE_ALLOWED:
                    return sqlite3.SQLITE_OK
                denied.append(_SQLITE_ACTIONS.get(action, str(action)))
                return sqlite3.SQLITE_DENY
            try:
                sc.set_authorizer(authorize)
                cur = sc.execute(query)
                if cur.description is None:
                    raise IngestError("the query returns no table", file=label, fix=_QUERY_FIX)
                rows = cur.fetchall()
                names = [d[0] for d in cur.description]
            finally:
                sc.close()
        else:
            try:
                import psycopg
            except ImportError:
                raise IngestError("reading PostgreSQL needs the psycopg package", file=label,
                                  fix="pip install 'psycopg[binary]' in the workbook's environment, or export the "
                                      "table as CSV/Parquet") from None
            try:
                pc = psycopg.connect(url, connect_timeout=20)
            except psycopg.OperationalError as e:
                raise IngestError(f"cannot connect to the PostgreSQL server: {' '.join(str(e).split())[:300]}",
                                  file=label, fix="check host, port, database and user in `url` and that the server "
                                  "accepts connections from this machine; " + _CREDENTIALS_FIX) from None
            with pc:
                pc.read_only = True                 # a read-only transaction: the server refuses any write
                cur = pc.execute(query)
                if cur.description is None:
                    raise IngestError("the query returns no table", file=label, fix=_QUERY_FIX)
                rows = cur.fetchall()
                names = [d.name for d in cur.description]
    except IngestError:
        raise
    except duckdb.PermissionException as e:
        raise IngestError("the query reaches outside its database (a file, another database or an extension): "
                          f"{str(e).splitlines()[0]}", file=label, fix=_QUERY_FIX) from None
    except Exception as e:  # noqa: BLE001 - database drivers raise their own types
        if denied or "not authorized" in str(e):       # SQLite's authorizer (or load_extension, which is off)
            what = denied[0] if denied else f"something a source may not do ({str(e).splitlines()[0]})"
            raise IngestError(f"the query asks for {what}, but a source query may only read (one SELECT)",
                              file=label, fix=_QUERY_FIX) from None
        raise IngestError(f"the SQL query failed: {type(e).__name__}: {str(e).splitlines()[0]}", file=label,
                          fix="run the query in a SQL client first; check table and column names") from None
    names = dedupe_names([str(n) for n in names])
    out = pd.DataFrame({n: pd.array([None if r[k] is None else str(r[k]) for r in rows], dtype="str")
                        for k, n in enumerate(names)})
    out["_row"] = np.arange(1, len(rows) + 1, dtype="int64")
    con.register(f"{stg}_df", out)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT * FROM {stg}_df")
    con.unregister(f"{stg}_df")
    res.rows_read += len(out)
    res.encoding = None


# ------------------------------------------------------------------------------------------------ Spark sources
# A Spark source is one Spark SQL SELECT on the client's Spark session (the tables of its catalog, and files
# named in the query: parquet.`/data/orders/`, csv.`/data/orders.csv` WITH ('header' = 'true')). The result comes
# back as Arrow (no Python object per row), every column cast to text in Spark, and is numbered in the order Spark
# returns it: the query's ORDER BY when it has one, else the order Spark reads the files (stable while they stay
# the same; write ORDER BY for a guaranteed one).
_SPARK_QUERY_FIX = ("write one Spark SQL SELECT … FROM … query (WITH … SELECT is fine) over the tables and files the "
                    "Spark session sees, e.g. SELECT * FROM lake.orders or SELECT * FROM parquet.`/data/orders/`; a "
                    "source query only reads — no INSERT, CREATE, CACHE, SET, ADD JAR or reflect()")
_SPARK_ANALYSIS_FIX = ("check the table names, paths and column names of the query (run it in spark-sql or pyspark on "
                       "the same master first): a table is one of the session's catalog (SHOW TABLES IN lake), a file "
                       "is named as parquet.`/path/` or csv.`/path.csv` WITH ('header' = 'true'), and on a cluster or "
                       "Spark Connect a path is one of the cluster's storage (hdfs://, s3a://, a shared folder), not "
                       "of this machine")
_SPARK_CALLS_JAVA = re.compile(r"\b(reflect|try_reflect|java_method)\s*\(", re.I)
_SPARK_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")     # pyspark logs each error it raises


def _spark_query(query: str | None, label: str) -> str:
    """The query when it is one reading Spark SQL statement (no call into Java); otherwise an IngestError.

    >>> _spark_query("SELECT * FROM parquet.`/data/orders;2024/`;", "sql source (spark)")
    'SELECT * FROM parquet.`/data/orders;2024/`'
    >>> _spark_query("SELECT reflect('java.lang.System', 'exit', 1)", "sql source (spark)")
    Traceback (most recent call last):
    ...
    dbmkit.ingest.IngestError: sql source (spark): the query calls reflect(), but a source query may only read (one
      SELECT)
      Fix: write one Spark SQL SELECT … FROM … query (WITH … SELECT is fine) over the tables and files the Spark
      session sees, e.g. SELECT * FROM lake.orders or SELECT * FROM parquet.`/data/orders/`; a source query only
      reads — no INSERT, CREATE, CACHE, SET, ADD JAR or reflect()
    """
    q = _read_only_query(query, label, fix=_SPARK_QUERY_FIX)
    bare = _SQL_NOISE.sub(" ", q)
    call = _SPARK_CALLS_JAVA.search(bare)
    if call:
        raise IngestError(f"the query calls {call.group(1).lower()}(), but a source query may only read (one SELECT)",
                          file=label, fix=_SPARK_QUERY_FIX)
    return q


@contextmanager
def _spark_errors(label: str, master: str):
    """Spark's errors as IngestErrors naming the source, the first line of Spark's message and the fix (pyspark's
    own error log, which repeats the JVM's stack trace, is silenced meanwhile)."""
    loggers = [logging.getLogger(n) for n in _SPARK_LOGGERS]
    was = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    except IngestError:
        raise
    except Exception as e:  # noqa: BLE001 - pyspark, py4j and Spark Connect raise their own types
        first = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)[:400]
        try:
            from pyspark.errors import AnalysisException, ParseException
        except ImportError:                 # pragma: no cover - pyspark went away meanwhile
            AnalysisException = ParseException = ()  # noqa: N806
        if isinstance(e, ParseException):
            raise IngestError(f"the Spark SQL query does not parse: {first}", file=label,
                              fix=_SPARK_QUERY_FIX) from None
        if isinstance(e, AnalysisException):
            raise IngestError(f"the Spark query failed: {first}", file=label, fix=_SPARK_ANALYSIS_FIX) from None
        raise IngestError(f"the Spark query failed on {master} ({type(e).__name__}: {first})", file=label,
                          fix="check that the Spark master answers — the one in `url` (spark://host:7077, "
                              "sc://host:15002) or `engine.master` for `url: spark` — and run the query in spark-sql "
                              "or pyspark first"
                          ) from None
    finally:
        for lg, w in zip(loggers, was):
            lg.disabled = w


def _spark_session(spec: SourceFile, label: str):
    """The Spark session of a Spark source (:func:`dbmkit.sql.spark.session`), or an IngestError saying what Spark
    lacks here and how to install it."""
    from ..messages import msg
    from ..sql.spark import INSTALL_COMMANDS, missing, session
    lack = missing()
    if lack is not None:
        # the command's own words (English here: the Chinese of the whole message is made from it, phrases_zh)
        why = msg("engine.no_module", "en", module=lack[1]) if lack[0] == "module" else msg("engine.no_java", "en")
        raise IngestError(f"a Spark source needs Spark, which cannot start here: {why}", file=label,
                          fix=f"install {INSTALL_COMMANDS}; or export the data as Parquet or CSV files and give "
                              "them as `path:` sources")
    master = resolve_url(spec.spark_master, label)          # sc://host:15002/;token=${SPARK_TOKEN}
    with _spark_errors(label, shown_url(master)):
        spark = session(master, spec.spark_conf)
    _quiet_missing_paths(spark)
    return spark


def _quiet_missing_paths(spark) -> None:
    """Spark logs a missing path as a warning with the JVM's whole stack trace (FileStreamSink) before it raises
    PATH_NOT_FOUND; the source's message says it in one line, so that logger only speaks of errors. A session
    without a JVM here (Spark Connect) logs on its server: nothing to do."""
    try:
        jvm = spark.sparkContext._jvm
        jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(
            "org.apache.spark.sql.execution.streaming.sinks.FileStreamSink", jvm.org.apache.logging.log4j.Level.ERROR)
    except Exception:  # noqa: BLE001 - Spark Connect (no sparkContext), another logging backend: leave it
        pass


def _spark_text(df, zone: str):
    """The DataFrame with every column as text, as the other SQL sources stage them, and the names of its
    time-zone-aware columns. An integral double reads as DuckDB writes it (12345678.0, not Spark's 1.2345678E7); a
    TIMESTAMP (Spark's instant, with local time zone) as the local time of ``zone``, as a Parquet file's
    time-zone-aware column is read (``staging.local_timestamps``); everything else is Spark's CAST(… AS STRING)."""
    from pyspark.sql import functions as F
    cols, aware = [], []
    for i, field in enumerate(df.schema.fields):
        c, kind = F.col(f"c{i}"), field.dataType.typeName()
        if kind in ("double", "float"):
            plain = F.concat(c.cast("bigint").cast("string"), F.lit(".0"))
            text = F.when(~F.isnan(c) & (c == F.floor(c)) & (F.abs(c) < 1e15), plain).otherwise(c.cast("string"))
        elif kind == "timestamp":
            local = F.convert_timezone(F.current_timezone(), F.lit(zone), c.cast("timestamp_ntz"))
            text = local.cast("string")
            aware.append(field.name)
        else:
            text = c.cast("string")
        cols.append(text.alias(f"c{i}"))
    return df.toDF(*[f"c{i}" for i in range(len(df.columns))]).select(*cols), aware


def _stage_spark(con, spec: SourceFile, label: str, stg: str, res) -> None:
    """Stage a Spark source: its query run on the Spark session, the result cast to text in Spark and fetched as
    Arrow, ``_row`` numbering the rows in the order Spark returns them."""
    import pyarrow as pa
    query = _spark_query(spec.sql, label)
    spark = _spark_session(spec, label)
    with _spark_errors(label, shown_url(spec.spark_master)):
        # wrapped in a subquery: Spark runs a command (INSERT, CACHE …) as soon as it is parsed, a subquery
        # cannot hold one; analysed here (tables, paths, columns), read only by toArrow
        df = spark.sql(f"SELECT * FROM (\n{query}\n) AS _dbmkit_source")
        names = dedupe_names([str(n) for n in df.columns])
        text, aware = _spark_text(df, spec.zone)
        table = text.toArrow()
    res.warnings += [f"column '{n}' holds time-zone-aware timestamps: converted to the local time of {spec.zone} "
                     "(the config's `timezone`) and kept without zone" for n in aware]
    table = table.rename_columns(names).append_column(
        "_row", pa.array(np.arange(1, table.num_rows + 1, dtype="int64")))
    con.register(f"{stg}_arrow", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT * FROM {stg}_arrow")
    finally:
        con.unregister(f"{stg}_arrow")
    res.rows_read += table.num_rows
    res.encoding = None


# ------------------------------------------------------------------------------------------------ fingerprints
HASH_BLOCK = 1 << 20        # files are hashed in 1 MB blocks


def file_digest(path: str | Path) -> str:
    """A content hash of a file (SHA-256 of its bytes, streamed in 1 MB blocks; SHA-256 is hardware-accelerated on
    current CPUs, faster than BLAKE2b here): changes when any byte changes, whatever the file's size and modification
    time say.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(p, "w").write("id,status,1,opt_in"); a = file_digest(p)
    >>> _ = open(p, "w").write("id,status,1,opt_ou"); a == file_digest(p)       # same size
    False
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


# the fingerprint query per engine: row count + an order-free sum of row hashes, computed by the source's database
_SQL_FINGERPRINT = {
    "duckdb": "SELECT count(*) AS n, coalesce(sum(hash(t)), 0) AS h FROM (\n{query}\n) AS t",
    "postgresql": "SELECT count(*) AS n, coalesce(sum(('x' || substr(md5(CAST(t AS text)), 1, 16))::bit(64)::bigint"
                  "::numeric), 0) AS h FROM (\n{query}\n) AS t",
}
_SQL_FINGERPRINT["postgres"] = _SQL_FINGERPRINT["postgresql"]
_SQL_FINGERPRINT["spark"] = ("SELECT count(*) AS n, coalesce(sum(CAST(xxhash64(*) AS DECIMAL(38, 0))), 0) AS h "
                             "FROM (\n{query}\n) AS t")


def source_fingerprint(spec: SourceFile, base_dir: str | Path = ".") -> str:
    """What a source holds now, in one string that changes when its data change (for the workspace's staleness
    check): a file's content hash (``missing`` when there is no such file), or for a SQL source its row count and a
    hash aggregate of its rows. DuckDB, PostgreSQL and Spark compute that aggregate themselves (the source query
    wrapped in ``SELECT count(*), sum(hash(row)) …``: no rows leave the database; Spark sums ``xxhash64`` of the
    rows, so a Spark source's fingerprint reads all its data on each check); SQLite has no hash function, so its rows
    are read as the build reads them and hashed here (a local file: cheap). A query that cannot be wrapped is read
    whole in the same way. Raises :class:`IngestError` when the source cannot be read.

    >>> import os, sqlite3, tempfile
    >>> d = tempfile.mkdtemp(); db = sqlite3.connect(os.path.join(d, "crm.db"))
    >>> _ = db.execute("CREATE TABLE c (email TEXT, status TEXT)")
    >>> _ = db.execute("INSERT INTO c VALUES ('a@x.com', 'opt_in')"); db.commit()
    >>> spec = SourceFile(sql="SELECT * FROM c", url="sqlite:///crm.db", columns={"email": "email", "status": "status"})
    >>> before = source_fingerprint(spec, d)
    >>> _ = db.execute("UPDATE c SET status = 'opt_out'"); db.commit(); db.close()
    >>> before == source_fingerprint(spec, d)
    False
    """
    if spec.path:
        p = Path(os.path.expanduser(spec.path))
        p = p if p.is_absolute() else (Path(base_dir) / p).resolve()
        return f"file:{file_digest(p)}" if p.is_file() else "missing"
    m = SQL_URL.match(spec.url or "")
    kind = "spark" if SPARK_URL.match((spec.url or "").strip()) else m.group(1) if m else None
    wrapper = _SQL_FINGERPRINT.get(kind)
    scratch = duckdb.connect()
    try:
        res = LoadResult(table="fingerprint", source="sql", source_system=None)
        if kind == "spark":               # the query itself is checked, not only the wrapper around it
            _spark_query(spec.sql, f"sql source ({shown_url(spec.url)})")
        if wrapper:
            query = re.sub(r"[\s;]+$", "", spec.sql or "")
            try:
                stage_sql(scratch, spec.model_copy(update={"sql": wrapper.format(query=query)}), base_dir, "_fp", res)
                n, h = scratch.execute("SELECT n, h FROM _fp").fetchall()[0]
                return f"sql:{n}:{h}"
            except IngestError:
                if kind == "spark":       # a Spark source is always read as a subquery: the error is the source's
                    raise
                # e.g. a query that cannot stand in a subquery: read it whole below
        stage_sql(scratch, spec, base_dir, "_fp", res)
        n, h = scratch.execute("SELECT count(*), coalesce(sum(hash(t)), 0) FROM "
                               "(SELECT * EXCLUDE (_row) FROM _fp) AS t").fetchall()[0]
        return f"rows:{n}:{h}"
    finally:
        scratch.close()
