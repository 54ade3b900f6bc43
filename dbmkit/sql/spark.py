"""The Spark engine: the workbook's transaction-level queries run on Apache Spark, their customer-level results come
back as pandas DataFrames with exactly the dtypes DuckDB gives.

The DuckDB database stays the workspace (the build, merge/purge, consent and everything customer-level run there, as
without Spark). With ``engine: {kind: spark, master: …}`` in the client config, ``dbmkit.sql.run(ws, name, …)``
sends the queries in :data:`SPARK_QUERIES` here:

1. the query (DuckDB SQL, the single source) is translated by :func:`dbmkit.sql.dialect.to_spark`;
2. the tables it reads are exported from the DuckDB workspace as Parquet into ``<workdir>/spark/`` (base tables
   once per database build — the export is stamped with the build's fingerprint and shared by the chapters of a
   report; anything else at every run, into the process's own ``pid<N>/`` folder) and registered as Spark
   temporary views of the same names;
3. Spark runs it — each CTE the query reads more than once computed once, as a checkpointed view (Spark would
   inline it and compute it at every reference) — the result comes back as Arrow and is cast, column by column, to
   the types DuckDB plans for the same query (``LIMIT 0`` on DuckDB binds the query without reading data), so a
   chapter cannot tell the engines apart. Every query that ran is a line of ``<workdir>/spark/queries.log``
   (:data:`QUERY_LOG`).

Every query file is either in :data:`SPARK_QUERIES` or in :data:`DUCKDB_ONLY` with the reason;
tests/test_spark_contract.py runs each Spark query on both engines over the same data and fails on any difference.

The session: one per process and master (``local[N]``, a cluster URL such as ``spark://host:7077`` or ``yarn``, or
Spark Connect ``sc://host:15002``), UTC, TIMESTAMP without time zone (as DuckDB's TIMESTAMP), non-ANSI arithmetic
(division by zero gives NULL, as in DuckDB), the UI off. :func:`unavailable` says why Spark cannot run here.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .dialect import shared_ctes, tables_of, to_spark

__all__ = ["SPARK_QUERIES", "DUCKDB_ONLY", "SparkEngine", "session", "unavailable", "missing", "stop_sessions",
           "INSTALL_HINT", "INSTALL_COMMANDS", "QUERY_LOG"]

QUERY_LOG = "queries.log"       # in the export folder (<workdir>/spark/): one line per query that ran on Spark

# what to install for Spark (the engine, and a client's `url: spark` sources)
INSTALL_COMMANDS = ("pip install 'dbmkit[spark]' (pyspark>=4.0 and sqlglot) and a Java 17 runtime "
                    "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless)")
INSTALL_HINT = f"install {INSTALL_COMMANDS}, or keep engine: duckdb"

# the queries whose cost grows with the transactions: on Spark when the engine is spark and they run over the
# workspace (``dbmkit.sql.run(ws, …)``, an analysis given the Workspace); on a DuckDB connection (a caller's
# DataFrame registered on it) they run DuckDB
SPARK_QUERIES: dict[str, str] = {
    "customer_summary": "BTYD summary of any transaction table (on Spark for a table of the workspace: "
                        "rfm.customer_summary(table, con=ws))",
    "customer_channels": "channels each customer bought through (the summary's channels_used)",
    "customer_summary_db": "the customer summary of the database",
    "rfm_inputs_as_of": "RFM inputs as of several dates",
    "calibration_holdout": "calibration/holdout split",
    "cohort_retention": "cohort retention",
    "monthly_revenue": "revenue by month",
    "revenue_by_period": "revenue decomposition by period",
    "revenue_by_order": "revenue by an order dimension",
    "revenue_by_product": "revenue by a product dimension",
    "yearly_retention": "year-on-year retention",
    "customer_period_value": "value per customer and period",
    "customer_profitability": "profitability per customer",
    "category_purchases": "purchases by category",
    "churn_by_group": "churn by group",
    "customer_states": "customer states",
    "order_span": "first and last order",
    "buyers_before": "buyers before a date",
    "purchases_between": "purchases in a window",
    "profile_attributes": "profile attributes",
    "association_pairs": "pair rules of baskets (the workspace's basket subquery)",
    "basket_items": "basket lines",
    "sequence_pairs": "sequence pairs",
    "pair_counts": "pair counts",
    "campaign_rf_response": "RF response history",
    "campaign_contact_pressure": "contact pressure",
    "campaign_channel_history": "channel history of campaigns",
    "campaign_product_rules": "product rules",
    "rfm_contact_outcomes": "outcomes of past contacts",
    "retention_by_period": "retention by period",
    "contact_responses": "responses to contacts",
    # the caller's own DataFrame (contacts, snapshots) read beside the transactions: handed to Spark with them
    "features_as_of": "model features as of each snapshot (the caller's snapshots)",
    "attribute_responses": "orders attributed to contacts (the caller's contacts; on Spark when the orders are the "
                           "workspace's)",
    "contact_outcomes": "each contact's outcome (the caller's contacts, with attribute_responses)",
    "contact_features": "point-in-time features of contacts (the caller's contacts)",
    "contact_categories": "categories bought after each contact (the caller's contacts)",
    "message_kpis": "e-mail/SMS KPIs of the workspace's events (the caller's outcomes and segments)",
    "campaign_recommendations": "a product per customer from two years of order lines (the caller's rules)",
}

# the queries that stay on DuckDB, with the reason
_BUILD = "part of the database build (merge/purge, consent, quality): runs once per build in DuckDB, on one machine"
DUCKDB_ONLY: dict[str, str] = {
    **{n: _BUILD for n in (
        "build_duplicates", "build_link_consents", "build_orders_from_sources", "build_quality_orders_after",
        "build_quality_orders_before", "build_quarantine", "build_reconciliation", "build_referenced_customers",
        "build_row_rules", "build_store_consents", "build_store_contacts", "build_store_email_events",
        "build_store_orders", "build_store_people", "build_store_reference", "build_store_sms_events",
        "build_views")},
    "address_changes": "customer-level (one row per customer record), no transactions",
    "campaign_customer_base": "customer-level (one row per customer), no transactions",
    "case_weekly_repeat": "the case study's own transactions (CDNOW, chapter 91), a DataFrame on a DuckDB connection "
                          "of its own, never the workspace's database; written portably, the contract runs it on "
                          "Spark too",
}

_LOCK = threading.Lock()
_SESSIONS: dict[str, object] = {}


def missing() -> tuple[str, str] | None:
    """What the Spark engine lacks on this machine: ``("module", "pyspark")`` (or sqlglot), ``("java", "")``, or
    None when it can run (the command says it in the client's language: ``dbmkit.messages``, ``engine.*``)."""
    for module in ("pyspark", "sqlglot"):
        try:
            __import__(module)
        except ImportError:
            return ("module", module)
    java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else None
    if not ((java and java.exists()) or shutil.which("java")):
        return ("java", "")
    return None


def unavailable() -> str | None:
    """Why the Spark engine cannot run on this machine, with how to install it (None when it can)."""
    lack = missing()
    if lack is None:
        return None
    why = f"{lack[1]} is not installed" if lack[0] == "module" else "no Java runtime found (java on PATH or JAVA_HOME)"
    return f"{why}: {INSTALL_HINT}"


def session(master: str = "local[2]", conf: dict | None = None):
    """The Spark session for ``master`` (made once per process): local[N], a cluster URL, or Spark Connect sc://."""
    with _LOCK:
        if master in _SESSIONS:
            return _SESSIONS[master]
        why = unavailable()
        if why:
            raise RuntimeError(why)
        from pyspark.sql import SparkSession
        settings = {"spark.sql.session.timeZone": "UTC", "spark.sql.timestampType": "TIMESTAMP_NTZ",
                    "spark.sql.ansi.enabled": "false", "spark.sql.shuffle.partitions": "4",
                    "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                    "spark.sql.execution.arrow.pyspark.enabled": "true",
                    "spark.sql.parquet.inferTimestampNTZ.enabled": "true", **(conf or {})}
        b = SparkSession.builder.appName("dbmkit")
        if master.startswith("sc://"):
            b = b.remote(master)
        else:
            b = b.master(master)
        for k, v in settings.items():
            b = b.config(k, v)
        s = b.getOrCreate()
        if not master.startswith("local"):
            s.sparkContext.setLogLevel("WARN") if hasattr(s, "sparkContext") and not master.startswith("sc://") \
                else None
        _SESSIONS[master] = s
        return s


def stop_sessions() -> None:
    """Stop every Spark session this process started."""
    with _LOCK:
        for s in _SESSIONS.values():
            s.stop()
        _SESSIONS.clear()


@contextmanager
def _lock(path: Path):
    """An exclusive lock on ``path`` among the processes of this machine (fcntl; without it, none)."""
    try:
        import fcntl
    except ImportError:                            # pragma: no cover - Windows: one process exports at a time anyway
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _copy(con, table: str, path: Path) -> None:
    """``table`` of the DuckDB connection written to ``path`` as one Parquet file (a temporary file of this process
    renamed into place)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{tmp.as_posix()}' (FORMAT parquet)")
    if path.is_dir():                              # an export of an earlier version, written as a folder
        shutil.rmtree(path)
    os.replace(tmp, path)


def _duckdb_types(con, sql: str, params: dict) -> tuple[list[str], list[str]]:
    """The column names and DuckDB types of a query's result, from binding it (no data is read)."""
    rel = con.sql(f"SELECT * FROM ({sql}) AS _q LIMIT 0", params=params or None)
    return list(rel.columns), [str(t) for t in rel.types]


class SparkEngine:
    """Runs the queries of :data:`SPARK_QUERIES` on a Spark session over the Parquet export of a DuckDB database.

    ``export_dir`` holds the exported tables (``<table>.parquet``, ``<table>.stamp``); ``master`` names the session.
    """

    def __init__(self, master: str = "local[2]", export_dir: str | Path | None = None, conf: dict | None = None,
                 queries=None):
        self.master = master
        self.conf = dict(conf or {})
        self.export_dir = Path(export_dir) if export_dir else None
        self.queries = set(SPARK_QUERIES if queries is None else queries)
        self._registered: dict[str, str] = {}
        self.ran: list[str] = []            # the queries this engine ran on Spark, in order
        self._runs = 0

    def handles(self, name: str) -> bool:
        return name in self.queries

    @property
    def spark(self):
        return session(self.master, self.conf)

    # ------------------------------------------------------------------ tables
    def expose(self, con, tables, stamps: dict[str, str] | str | None = None) -> None:
        """Export ``tables`` from the DuckDB connection to Parquet and register them as Spark views of the same
        names. A table with a stamp (the database build's fingerprint; a text for every table) is exported once per
        stamp into ``export_dir`` and shared by every process of the work folder (the chapters of a report, several
        at a time: one exports, under a lock, the others read it); one without (a table an analysis saved, a
        DataFrame registered on ``con``) is exported at every call into this process's own folder
        ``export_dir/pid<N>/``, so no other process replaces a file under it."""
        if self.export_dir is None:
            raise RuntimeError("SparkEngine needs an export_dir to hand tables to Spark")
        self.export_dir.mkdir(parents=True, exist_ok=True)
        for t in sorted(tables):
            key = stamps if isinstance(stamps, str) else (stamps or {}).get(t)
            file = ("t" + t if t[:1] in "_." else t) + ".parquet"     # Spark skips files named _… or .… as hidden
            if key is None:
                path = self.export_dir / f"pid{os.getpid()}" / file
                path.parent.mkdir(exist_ok=True)
                _copy(con, t, path)
                self._registered.pop(t, None)
            else:
                path = self.export_dir / file
                with _lock(self.export_dir / f"{t}.lock"):
                    stamp = self.export_dir / f"{t}.stamp"
                    if not (path.exists() and stamp.exists() and stamp.read_text() == key):
                        stamp.unlink(missing_ok=True)
                        _copy(con, t, path)
                        stamp.write_text(key)
                        self._registered.pop(t, None)
            version = f"{path}:{key or ''}:{path.stat().st_mtime_ns}"
            if self._registered.get(t) != version or not self.spark.catalog.tableExists(t):
                self.spark.read.parquet(path.as_posix()).createOrReplaceTempView(t)
                self._registered[t] = version

    # ------------------------------------------------------------------ queries
    def log(self, name: str, rows: int) -> None:
        """One line per query that ran on Spark (``ran``; and ``export_dir/queries.log``: time, process, master,
        query, rows — appended by every process of the work folder), so a run shows what ran where."""
        self.ran.append(name)
        if self.export_dir is not None:
            line = f"{dt.datetime.now().isoformat(timespec='seconds')}\t{os.getpid()}\t{self.master}\t{name}\t{rows}\n"
            with open(self.export_dir / QUERY_LOG, "a", encoding="utf-8") as f:
                f.write(line)

    def _execute(self, name: str, spark_sql: str):
        """The Spark query's result as Arrow. The CTEs it reads more than once are computed once each
        (:func:`~dbmkit.sql.dialect.shared_ctes`; Spark would compute them again at every reference): each is
        checkpointed on the executors (``localCheckpoint``: computed now, its lineage cut) and read as a temporary
        view, dropped afterwards (Spark frees the blocks once the DataFrame is gone). ``persist`` + ``count`` was
        tried first: the later stages did not reuse the cache, and sequence_pairs took 694 s at 1M transactions
        instead of 37 s."""
        self._runs += 1
        stages, main = shared_ctes(spark_sql, f"_cte{os.getpid()}_{self._runs}")
        views = []
        current = spark_sql
        try:
            for view, q in stages:
                current = q
                self.spark.sql(q).localCheckpoint(eager=True).createOrReplaceTempView(view)
                views.append(view)
            current = main
            return self.spark.sql(main).toArrow()
        except Exception as e:
            raise RuntimeError(f"dbmkit/sql/{name}.sql failed on Spark ({self.master}): {str(e).splitlines()[0]}\n"
                               f"translated SQL:\n{current}") from e
        finally:
            for view in views:
                self.spark.catalog.dropTempView(view)

    def run(self, con, name: str, sql: str, params: dict | None = None,
            stamps: dict[str, str] | str | None = None) -> pd.DataFrame:
        """Run the rendered DuckDB query ``sql`` (file ``name``) on Spark; the result as DuckDB would return it."""
        params = dict(params or {})
        spark_sql = to_spark(sql, params)
        self.expose(con, tables_of(sql), stamps)
        table = self._execute(name, spark_sql)
        columns, types = _duckdb_types(con, sql, params)
        if table.num_columns != len(columns):
            raise RuntimeError(f"dbmkit/sql/{name}.sql: Spark returned {table.num_columns} columns, DuckDB plans "
                               f"{len(columns)}")
        self.log(name, table.num_rows)
        arrow_names = [f"c{i}" for i in range(len(columns))]
        table = table.rename_columns(arrow_names)
        cols = ", ".join(f"CAST({a} AS {t}) AS \"{c.replace(chr(34), chr(34) * 2)}\""
                         for a, t, c in zip(arrow_names, types, columns))
        view = "_spark_" + hashlib.sha1(name.encode()).hexdigest()[:8]
        con.register(view, table)
        try:
            return con.execute(f"SELECT {cols} FROM {view}").df()
        finally:
            con.unregister(view)
