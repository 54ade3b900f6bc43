"""The marketing database (数据库/数据仓库): build it from the sources, keep it safe, protect the people in it.

``build`` runs the whole phase-1 pipeline into a new DuckDB file — ingest → rules and duplicates → clean →
merge/purge → store — and only then swaps it into place (``os.replace``), so a failed build never leaves a
half-written database. The tables follow :mod:`dbmkit.schema` with primary keys, foreign keys, NOT NULL and CHECK
constraints (docs/DATA_MODEL.md).

Protection (隐私与合规): consent per channel (latest status wins), ``suppression_list(channel)`` of everyone who must
not be contacted and why, ``erase_customer`` (right to erasure: removes the person from every table, from every
later build and so from every later export, and keeps an audit entry without personal data), ``pseudonymise`` for
analysis extracts, and a retention rule for stale records (``stale_customers`` / ``apply_retention``).

Example
-------
>>> import tempfile
>>> from dbmkit.workspace import workspace
>>> ws = workspace({"client": "doc_db", "workdir": tempfile.mkdtemp(),
...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
>>> rep = ws.build_summary()
>>> rep["rows_read"] == rep["rows_loaded"] + rep["rows_quarantined"]
True
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import clean as _clean
from . import identity as _identity
from . import schema
from .config import ClientConfig, SourceFile
from .ingest import ensure_ingest_tables, load_source
from .util import isin

__all__ = ["build", "connect", "ddl", "table_overview", "table_counts", "table_fingerprints", "suppression_list",
           "erase_customer", "pseudonymise", "pseudonymised_extract", "stale_customers", "apply_retention",
           "latest_consents", "consent_summary", "enrich_customers", "reconciliation", "quarantine_summary",
           "value_issue_summary",
           "reason_kind", "Sandbox", "cleaning_settings", "clean_like_build", "BuildReport",
           "SCHEMA_VERSION", "PRIMARY_KEYS", "FOREIGN_KEYS", "load_erasures"]

SCHEMA_VERSION = 4
LOAD_ORDER = ["products", "area_demographics", "customers", "orders", "sales_lines", "order_items", "campaigns",
              "contacts", "responses", "consents", "email_events", "sms_events"]
SQL_TYPES = schema.SQL_TYPES
PRIMARY_KEYS = schema.PRIMARY_KEYS
FOREIGN_KEYS = schema.FOREIGN_KEYS
ERASED = "erased person (right to erasure): row withheld"
VOLATILE_TABLES = {"_meta", "audit_log"}      # build time and audit time differ between identical builds


def _qi(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


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
            chk = f" CHECK ({_qi(c.name)} IN ({vals}))"
        lines.append(f"{_qi(c.name)} {SQL_TYPES[c.type]}{nn}{chk}")
    for cond, _ in schema.CHECKS.get(table, []):
        lines.append(f"CHECK ({cond})")
    if table in PRIMARY_KEYS:
        lines.append(f"PRIMARY KEY ({', '.join(_qi(k) for k in PRIMARY_KEYS[table])})")
    for col, ref, refcol in FOREIGN_KEYS.get(table, []):
        lines.append(f"FOREIGN KEY ({_qi(col)}) REFERENCES {ref} ({refcol})")
    return f"CREATE TABLE {table} (\n  " + ",\n  ".join(lines) + "\n)"


def connect(path: str | Path, read_only: bool = True, retries: int = 40) -> duckdb.DuckDBPyConnection:
    """Open the marketing database; waits a little when another process is writing it.

    >>> import os, tempfile
    >>> con = connect(os.path.join(tempfile.mkdtemp(), "x.duckdb"), read_only=False)
    >>> con.execute("SELECT 42").fetchall()
    [(42,)]
    """
    last = None
    for k in range(retries):
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("SET enable_progress_bar = false")
            return con
        except duckdb.IOException as e:       # locked by a writer
            last = e
            time.sleep(min(0.05 * (k + 1), 0.5))
    raise RuntimeError(f"the database {path} is locked by another process (a notebook or report still running?): "
                       f"{last}")


def _con_of(ws_or_con, read_only: bool = True):
    """(connection, close?) from a Workspace or a connection."""
    if hasattr(ws_or_con, "db_path"):
        return connect(ws_or_con.db_path, read_only=read_only), True
    return ws_or_con, False


def _base_tables(con) -> list[str]:
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
    con, close = _con_of(ws_or_con)
    try:
        return {n: con.execute(f"SELECT count(*) FROM {_qi(n)}").fetchall()[0][0] for n in _base_tables(con)}
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
    con, close = _con_of(ws_or_con)
    try:
        out = {}
        for t in _base_tables(con):
            if t in exclude:
                continue
            out[t] = con.execute(f"""SELECT coalesce(md5(string_agg(h, ',' ORDER BY h)), 'empty') FROM
                (SELECT md5(CAST(x AS VARCHAR)) AS h FROM {_qi(t)} x)""").fetchall()[0][0]
        return out
    finally:
        if close:
            con.close()


# ------------------------------------------------------------------------------------------------ build report
class BuildReport(dict):
    """What a build did: rows read/loaded/quarantined per source, counts per table, identity and quality figures.

    >>> print(BuildReport(rows_read=10, rows_loaded=9, rows_quarantined=1, customers_raw=5, persons=4,
    ...                   households=3).summary())
    rows read 10 = loaded 9 + quarantined 1
    source records 5 → persons 4 in 3 households
    """

    def summary(self) -> str:
        lines = [f"rows read {self['rows_read']:,} = loaded {self['rows_loaded']:,} + quarantined {self['rows_quarantined']:,}",
                 f"source records {self['customers_raw']:,} → persons {self['persons']:,} in {self['households']:,} households"]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ privacy memory
def _hash(value: str, salt: str) -> str:
    return hashlib.sha256((salt + "|" + str(value)).encode("utf-8")).hexdigest()[:24]


def _privacy_file(workdir: Path) -> Path:
    return Path(workdir) / "erasures.json"


def load_erasures(workdir: str | Path) -> dict:
    """The workspace's privacy memory: salts, hashed keys of erased people, the erasure log (no personal data).

    >>> import tempfile
    >>> sorted(load_erasures(tempfile.mkdtemp()))
    ['extract_salt', 'keys', 'log', 'salt']
    """
    p = _privacy_file(Path(workdir))
    data = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
    data.setdefault("salt", hashlib.sha256(os.urandom(16)).hexdigest()[:16])
    data.setdefault("extract_salt", hashlib.sha256(os.urandom(16)).hexdigest()[:16])
    data.setdefault("keys", [])
    data.setdefault("log", [])
    return data


def _save_erasures(workdir: Path, data: dict) -> None:
    p = _privacy_file(Path(workdir))
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, p)


def _erasure_keys(values, salt: str, region: str = "US") -> set[str]:
    """Hashed keys of identifiers: record ids, e-mails (as written and standardised), phones (E.164)."""
    keys = set()
    vals = [v for v in values if isinstance(v, str) and v.strip()]
    for v in vals:
        keys.add(_hash(v.strip(), salt))
        keys.add(_hash(v.strip().lower(), salt))
    if vals:
        phones = _clean.standardise_phones(pd.Series(vals), region)
        keys |= {_hash(p, salt) for p in phones if isinstance(p, str)}
    return keys


_TOKEN = re.compile(r"[^\s,;|\t\"{}\[\]]+")


def _row_tokens(text: str) -> set[str]:
    """The candidate identifiers of a raw row (JSON or CSV text): its tokens, its JSON values and the part after
    a ``key:`` prefix."""
    toks = set(_TOKEN.findall(text))
    vals = set()
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            vals = {str(v) for v in obj.values() if v is not None}
    except (ValueError, TypeError):
        pass
    return toks | vals | {t.split(":", 1)[1] for t in toks if ":" in t}


def _hitting_tokens(tokens, erased: set[str], salt: str, region: str = "US") -> set[str]:
    """The tokens whose erasure keys (``_erasure_keys`` of the token alone) meet ``erased`` — all tokens in one
    batch, so the phone standardisation runs once instead of once per row."""
    vals = [v for v in tokens if isinstance(v, str) and v.strip()]
    if not vals or not erased:
        return set()
    phones = _clean.standardise_phones(pd.Series(vals, dtype=object), region)
    hit = set()
    for v, p in zip(vals, phones):
        w = v.strip()
        if _hash(w, salt) in erased or _hash(w.lower(), salt) in erased or \
                (isinstance(p, str) and _hash(p, salt) in erased):
            hit.add(v)
    return hit


def _row_mentions(text: str, erased: set[str], salt: str, region: str) -> bool:
    """Does a raw row (JSON or CSV text) mention an erased identifier?"""
    return bool(_erasure_keys(_row_tokens(text), salt, region) & erased)


def _scrub_raw(con, erased: set[str], salt: str, region: str) -> int:
    """Withhold the raw values of quarantined rows and value issues that mention an erased person."""
    if not erased:
        return 0
    n = 0
    for table, col, key in (("quarantine", "raw_values", "reason"), ("value_issues", "raw_value", "problem")):
        if table not in _base_tables(con):
            continue
        df = con.execute(f"SELECT rowid AS rid, {col} AS raw FROM {table} WHERE {col} IS NOT NULL").df()
        tokens = [_row_tokens(str(raw)) for raw in df["raw"]]         # the same test as _row_mentions, batched
        hitting = _hitting_tokens(sorted(set().union(*tokens)) if tokens else [], erased, salt, region)
        hit = [int(r) for r, toks in zip(df["rid"], tokens) if not toks.isdisjoint(hitting)]
        if hit:
            con.register("_hit", pd.DataFrame({"rid": hit}))
            con.execute(f"UPDATE {table} SET {col} = NULL, {key} = {key} || ' [raw values withheld: erased person]' "
                        f"WHERE rowid IN (SELECT rid FROM _hit)")
            con.unregister("_hit")
            n += len(hit)
    return n


# ------------------------------------------------------------------------------------------------ rules helpers
def _move_counts(con, table: str, sql: str) -> None:
    """Rows counted as loaded that were then quarantined: move them in the load log."""
    for src, k in con.execute(sql).fetchall():
        con.execute("UPDATE load_log SET rows_loaded = rows_loaded - ?, rows_quarantined = rows_quarantined + ? "
                    "WHERE source = ? AND table_name = ?", [k, k, src, table])


def _quarantine_select(con, table: str, where: str, reason_sql: str, column: str, src: str | None = None,
                       raw: bool = True) -> int:
    """Move rows of ``src`` (default src_<table>) matching ``where`` to quarantine with a reason."""
    src = src or f"src_{table}"
    n = con.execute(f"SELECT count(*) FROM {src} t WHERE {where}").fetchall()[0][0]
    if not n:
        return 0
    raw_sql = "left(CAST(to_json(t) AS VARCHAR), 500)" if raw else "NULL"
    con.execute(f"""INSERT INTO quarantine SELECT '{table}', t.source_file, t.source_row, '{column}', {reason_sql},
                    {raw_sql} FROM {src} t WHERE {where}""")
    _move_counts(con, table, f"SELECT t.source_file, count(*) FROM {src} t WHERE {where} GROUP BY 1")
    con.execute(f"DELETE FROM {src} t WHERE {where}")
    return n


def _dedupe(con, table: str, key: list[str], label: str) -> None:
    """Keep the first row per key (in file and row order); quarantine the others as exact duplicates or as
    conflicting rows (same key, different content). Only the keys that repeat are examined."""
    k = ", ".join(_qi(c) for c in key)
    notnull = " AND ".join(f"{_qi(c)} IS NOT NULL" for c in key)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _dk AS SELECT {k} FROM src_{table} WHERE {notnull}
                    GROUP BY {k} HAVING count(*) > 1""")
    if not con.execute("SELECT count(*) FROM _dk").fetchall()[0][0]:
        con.execute("DROP TABLE _dk")
        return
    cols = [r[0] for r in con.execute(f"DESCRIBE src_{table}").fetchall()]
    content = [c for c in cols if c not in ("source_file", "source_row", "source_system")]
    h = "md5(concat_ws('|', " + ", ".join(f"coalesce(CAST({_qi(c)} AS VARCHAR), '∅')" for c in content) + "))"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _dd AS SELECT *, row_number() OVER (PARTITION BY {k}
        ORDER BY source_file, source_row) AS _rn, {h} AS _h FROM src_{table} s SEMI JOIN _dk USING ({k})""")
    dup = con.execute(f"""SELECT d.source_file AS source, d.source_row, f.source_file AS first_file,
        f.source_row AS first_row, d._h = f._h AS same, d.source_system AS sys, f.source_system AS first_sys,
        {' || '.join(f"CAST(d.{_qi(c)} AS VARCHAR)" for c in key)} AS keyval,
        left(CAST(to_json(d) AS VARCHAR), 500) AS raw
        FROM _dd d JOIN (SELECT * FROM _dd WHERE _rn = 1) f USING ({k})
        WHERE d._rn > 1 ORDER BY d.source_file, d.source_row""").df()
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
    con.execute("INSERT INTO quarantine SELECT * FROM _qd")
    con.execute(f"""DELETE FROM src_{table} WHERE (source_file, source_row) IN
                    (SELECT (source, source_row) FROM _qd)""")
    con.unregister("_qd")
    for src, n in dup.groupby("source").size().items():
        con.execute("UPDATE load_log SET rows_loaded = rows_loaded - ?, rows_quarantined = rows_quarantined + ? "
                    "WHERE source = ? AND table_name = ?", [int(n), int(n), src, table])
    con.execute("DROP TABLE IF EXISTS _dd; DROP TABLE IF EXISTS _dk")


def _register_text(con, name: str, df: pd.DataFrame, text_cols: list[str]) -> None:
    """A temp table from a DataFrame with the given columns as VARCHAR (an empty or all-NULL column would otherwise
    get another type)."""
    con.register(f"{name}_df", df)
    sel = ", ".join(f"CAST({_qi(c)} AS VARCHAR) AS {_qi(c)}" if c in text_cols else _qi(c) for c in df.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {sel} FROM {name}_df")
    con.unregister(f"{name}_df")


def _empty_src(con, table: str) -> None:
    cols = schema.source_columns(table)
    defs = ", ".join(f"{_qi(c.name)} {SQL_TYPES[c.type]}" for c in cols)
    con.execute(f"CREATE TABLE IF NOT EXISTS src_{table} ({defs}, source_file VARCHAR, source_row BIGINT, "
                f"source_system VARCHAR)")


# ------------------------------------------------------------------------------------------------ build
def build(cfg: ClientConfig, db_path: str | Path, sources: dict[str, list[SourceFile]], base_dir: str | Path,
          workdir: str | Path, progress=None) -> BuildReport:
    """Build the marketing database from ``sources`` (the config's mapping) into ``db_path``, atomically:
    everything is written to ``<name>.building.duckdb`` first and swapped into place at the end.

    Returns a :class:`BuildReport`. Raises :class:`dbmkit.ingest.IngestError` for a source that cannot be read.

    (``dbm.workspace(config)`` calls it when the database is missing or stale; see the module example.)
    """
    db_path = Path(db_path)
    workdir = Path(workdir)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(db_path.stem + ".building.duckdb")
    for p in (tmp, Path(str(tmp) + ".wal")):
        if p.exists():
            p.unlink()
    stage_dir = Path(tempfile.mkdtemp(prefix="dbmkit_stage_", dir=str(workdir)))
    say = progress or (lambda msg: None)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET preserve_insertion_order = true; SET enable_progress_bar = false")
        ensure_ingest_tables(con)
        say("ingest")
        for table in LOAD_ORDER:
            for spec in sources.get(table, []):
                load_source(con, table, spec, base_dir=base_dir, tmpdir=stage_dir)
        for table in LOAD_ORDER:
            _empty_src(con, table)
        erasures = load_erasures(workdir)
        report = _assemble(con, cfg, erasures, say)
        report["sources"] = con.execute("SELECT * FROM load_log").df().to_dict("records")
        _meta(con, cfg, report)
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        for p in (tmp, Path(str(tmp) + ".wal")):
            if p.exists():
                p.unlink()
        raise
    finally:
        shutil.rmtree(stage_dir, ignore_errors=True)
    con.close()
    if not _privacy_file(workdir).exists():
        _save_erasures(workdir, erasures)      # fix the salts of this workspace
    os.replace(tmp, db_path)            # the swap: readers see the old or the new database, never half of one
    return report


def _assemble(con, cfg: ClientConfig, erasures: dict, say) -> BuildReport:
    region = cfg.data.default_phone_region
    as_of = cfg.analysis_date or pd.Timestamp.today().normalize()
    before = _quality_before(con, region, as_of)
    say("rules and duplicates")
    _rules_and_duplicates(con)
    say("orders")
    _orders_from_sources(con)
    say("clean")
    recs, erased_ids = _customer_records(con, cfg, erasures, region, as_of)
    say("merge/purge")
    recs, flag_cons = _consent_flags(recs)
    linked, scored = _identity.resolve_identities(recs, threshold=cfg.data.match_threshold, con=con,
                                                  return_pairs=True)
    gold = _identity.golden_records(linked, cfg.data.source_priority)
    gold["household_id"] = _identity.assign_households(gold, cfg.data.household_rule).to_numpy()
    say("store")
    _create_tables(con)
    _store_people(con, gold, linked, scored, recs)
    _store_reference(con)
    _store_orders(con, cfg, gold, erased_ids)
    _store_consents(con, linked, flag_cons, erased_ids)
    _store_contacts_and_events(con, region, erased_ids)
    _views(con)
    say("quality")
    quality = _quality_after(con, before, gold, region, as_of)
    _scrub_raw(con, set(erasures["keys"]), erasures["salt"], region)
    for t in LOAD_ORDER:                      # staging is not part of the database (and would keep erased people)
        con.execute(f"DROP TABLE IF EXISTS src_{t}")
    ll = con.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM load_log").fetchall()[0]
    # one quality score per stage: the mean of the table scores (tables that came from a source)
    summ = _clean.quality_summary(quality).groupby("stage")["score"].mean()
    return BuildReport(
        rows_read=int(ll[0] or 0), rows_loaded=int(ll[1] or 0), rows_quarantined=int(ll[2] or 0),
        customers_raw=int(len(recs)), persons=int(gold["customer_id"].nunique()),
        households=int(gold["household_id"].nunique()),
        quality_score_before=round(float(summ.get("before cleaning", np.nan)), 1),
        quality_score_after=round(float(summ.get("after cleaning", np.nan)), 1),
        anonymous_orders=int(con.execute("SELECT count(*) FROM anonymous_sales").fetchall()[0][0]),
        erased_records=len(erased_ids),
    )


def _rules_and_duplicates(con) -> None:
    """Row rules that need the whole table (future dates, zero quantities …) and duplicate keys."""
    future = "'order_ts: date in the future (' || CAST(order_ts AS VARCHAR) || ')'"
    for t in ("orders", "sales_lines"):
        _quarantine_select(con, t, "order_ts > now() + INTERVAL 1 DAY", future, "order_ts")
    for t in ("sales_lines", "order_items"):
        _quarantine_select(con, t, "quantity = 0", "'quantity: zero quantity (nothing was sold or returned)'",
                           "quantity")
        _quarantine_select(con, t, "unit_price < 0", "'unit_price: negative price (returns have negative "
                                                     "quantities, not prices)'", "unit_price")
    _quarantine_select(con, "orders", "coalesce(net_amount, gross_amount) IS NULL",
                       "'net_amount: missing (and no gross_amount)'", "net_amount")
    _quarantine_select(con, "orders", "coalesce(status, '') IN ('completed', 'cancelled') AND "
                                      "coalesce(net_amount, gross_amount) < 0",
                       "'net_amount: negative amount on a ' || status || ' order (a return? map its status as "
                       "returned)'", "net_amount")
    _dedupe(con, "products", ["product_id"], "product_id")
    _dedupe(con, "orders", ["order_id"], "order_id")
    _dedupe(con, "campaigns", ["campaign_id"], "campaign_id")
    _dedupe(con, "area_demographics", ["postal_code"], "postal_code")
    _dedupe(con, "customers", ["customer_id"], "customer_id")
    if not con.execute("SELECT count(*) FROM src_order_items WHERE line_no IS NULL").fetchall()[0][0]:
        _dedupe(con, "order_items", ["order_id", "line_no"], "order line")
    if not con.execute("SELECT count(*) FROM src_sales_lines WHERE line_no IS NULL").fetchall()[0][0]:
        _dedupe(con, "sales_lines", ["order_id", "line_no"], "invoice line")
    _quarantine_select(con, "sales_lines", "order_id IN (SELECT order_id FROM src_orders)",
                       "'order_id: ' || order_id || ' is also in an order-level sales file'", "order_id")


def _orders_from_sources(con) -> None:
    """Order-level files and line-level files → one table of orders (``_all_orders``) and of lines (``_items``)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lines AS SELECT *, coalesce(line_no, row_number() OVER (PARTITION BY order_id
            ORDER BY source_file, source_row)) AS ln, quantity * unit_price AS gross_line FROM src_sales_lines""")
    # an invoice whose lines disagree on the customer cannot be assigned: quarantine it
    con.execute("""CREATE OR REPLACE TEMP TABLE _cf AS SELECT order_id FROM _lines GROUP BY order_id
                   HAVING count(DISTINCT customer_id) > 1""")
    _quarantine_select(con, "sales_lines", "order_id IN (SELECT order_id FROM _cf)",
                       "'customer_id: invoice ' || order_id || ' has lines with different customers'", "customer_id",
                       src="_lines")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _line_orders AS
        SELECT order_id, arg_min(customer_id, source_row) AS customer_id, min(order_ts) AS order_ts,
               arg_min(channel, source_row) AS channel, arg_min(store_id, source_row) AS store_id,
               round(sum(gross_line), 2) AS gross_amount, round(sum(coalesce(discount, 0)), 2) AS discount,
               round(sum(gross_line) - sum(coalesce(discount, 0)), 2) AS net_amount,
               CASE WHEN bool_and(quantity < 0) OR bool_or(status = 'returned') THEN 'returned'
                    WHEN bool_or(status = 'cancelled') THEN 'cancelled'
                    WHEN bool_and(quantity > 0) THEN 'completed'
                    ELSE 'mixed' END AS status,
               arg_min(original_order_id, source_row) AS original_order_id,
               arg_min(source_system, source_row) AS source_system, min(source_file) AS source_file
        FROM _lines GROUP BY order_id""")
    # invoices mixing sales and returns: the net decides
    con.execute("""UPDATE _line_orders SET status = CASE WHEN net_amount < 0 THEN 'returned' ELSE 'completed' END
                   WHERE status = 'mixed'""")
    # order-level sources: a returned order = the sale + a return (negative) at the return date
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _all_orders AS
        SELECT order_id, customer_id, order_ts, channel, store_id,
               coalesce(gross_amount, net_amount + coalesce(discount, 0)) AS gross_amount,
               coalesce(discount, coalesce(gross_amount, net_amount) - coalesce(net_amount, gross_amount), 0) AS discount,
               coalesce(net_amount, gross_amount - coalesce(discount, 0)) AS net_amount,
               cost, CASE WHEN status IS NULL AND coalesce(net_amount, gross_amount) < 0 THEN 'returned'
                          WHEN coalesce(status, 'completed') = 'returned' AND coalesce(net_amount, gross_amount) >= 0
                          THEN 'completed' ELSE coalesce(status, 'completed') END AS status,
               original_order_id, returned_at, source_system, source_file FROM src_orders
        UNION ALL
        SELECT order_id || '-R', customer_id, coalesce(returned_at, order_ts), channel, store_id,
               -abs(coalesce(gross_amount, net_amount + coalesce(discount, 0))), -abs(coalesce(discount, 0)),
               -abs(coalesce(net_amount, gross_amount - coalesce(discount, 0))), -abs(cost), 'returned', order_id,
               NULL, source_system, source_file
        FROM src_orders WHERE status = 'returned' AND coalesce(net_amount, gross_amount) >= 0
        UNION ALL
        SELECT order_id, customer_id, order_ts, channel, store_id, gross_amount, discount, net_amount, NULL,
               status, original_order_id, NULL, source_system, source_file FROM _line_orders""")
    con.execute("""UPDATE _all_orders SET gross_amount = -abs(gross_amount), discount = -abs(discount),
                   net_amount = -abs(net_amount), cost = -abs(cost) WHERE status = 'returned'""")
    # anonymous sales: no customer id → counted, kept apart, not used for customer analysis
    con.execute("""CREATE OR REPLACE TABLE anonymous_sales AS SELECT order_id, order_ts, channel, store_id, net_amount,
                   status, source_file FROM _all_orders WHERE customer_id IS NULL ORDER BY order_ts, order_id""")
    con.execute("DELETE FROM _all_orders WHERE customer_id IS NULL")
    # order items from order-level files and from sales lines; lines of unknown (or quarantined) orders: quarantine
    _quarantine_select(con, "order_items", "order_id NOT IN (SELECT order_id FROM _all_orders UNION ALL "
                       "SELECT order_id FROM anonymous_sales)",
                       "'order_id: line of an unknown or quarantined order ' || order_id", "order_id")
    con.execute("""CREATE OR REPLACE TEMP TABLE _items AS
        SELECT order_id, coalesce(line_no, row_number() OVER (PARTITION BY order_id ORDER BY source_file, source_row))
               AS line_no, product_id, quantity, unit_price, coalesce(discount, 0) AS discount FROM src_order_items
        UNION ALL SELECT order_id, ln, product_id, quantity, unit_price, coalesce(discount, 0) FROM _lines""")


def _customer_records(con, cfg: ClientConfig, erasures: dict, region: str, as_of):
    """Source customer records (plus stubs for ids only seen in sales or contacts), cleaned; erased people out."""
    recs = con.execute("SELECT * FROM src_customers ORDER BY source_file, source_row").df()
    known = set(recs["customer_id"].dropna())
    referenced = con.execute("""SELECT customer_id, min(ts) AS first_ts, arg_min(sys, ts) AS sys FROM (
            SELECT customer_id, order_ts AS ts, source_system AS sys FROM _all_orders
            UNION ALL SELECT customer_id, contact_ts, NULL FROM src_contacts
            UNION ALL SELECT customer_id, updated_at, NULL FROM src_consents WHERE customer_id IS NOT NULL)
        WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 1""").df()
    stubs = referenced[~isin(referenced["customer_id"], known)]
    if len(stubs):
        stub = pd.DataFrame({"customer_id": stubs["customer_id"].to_numpy(),
                             "signup_date": pd.to_datetime(stubs["first_ts"]).dt.date,
                             "source_system": stubs["sys"].fillna("sales").replace("", "sales").to_numpy(),
                             "source_file": "(referenced by sales/contacts only)"})
        recs = pd.concat([recs, stub], ignore_index=True)
    recs["source_system"] = recs["source_system"].replace("", None).fillna("main")
    recs["_raw_email"] = recs["email"].astype("string").str.strip().str.lower().astype(object)
    recs["_raw_phone"] = recs["phone"].astype("string").str.replace(r"\D", "", regex=True).astype(object)
    recs = _clean.clean_customer_records(recs, region=region, as_of=as_of,
                                         test_patterns=cfg.data.test_email_patterns,
                                         staff_domains=cfg.data.staff_email_domains)
    recs = recs.rename(columns={"customer_id": "record_id"})
    # people erased earlier never come back: their records (and, below, their orders, consents, events) are
    # quarantined without their values
    erased = set(erasures["keys"])
    erased_ids: set[str] = set()
    if erased:
        salt = erasures["salt"]
        cols = [recs["record_id"], recs["email"], recs["phone"], recs["_raw_email"]]
        values = {v for c in cols for v in c if isinstance(v, str)}       # every value tested once, in one batch
        hitting = _hitting_tokens(sorted(values), erased, salt, region)
        hit = np.array([any(isinstance(v, str) and v in hitting for v in row) for row in zip(*cols)], dtype=bool)
        if hit.any():
            gone = recs[hit]
            erased_ids = set(gone["record_id"])
            real = gone[gone["source_row"].notna()]
            if len(real):
                q = pd.DataFrame({"table_name": "customers", "source": real["source_file"],
                                  "source_row": real["source_row"].astype("int64"), "column_name": "customer_id",
                                  "reason": ERASED, "raw_values": None})
                con.register("_qe", q)
                con.execute("INSERT INTO quarantine SELECT * FROM _qe")
                con.unregister("_qe")
                for src, n in real.groupby("source_file").size().items():
                    con.execute("UPDATE load_log SET rows_loaded = rows_loaded - ?, rows_quarantined = "
                                "rows_quarantined + ? WHERE source = ? AND table_name = 'customers'", [int(n), int(n), src])
            con.register("_ee", pd.DataFrame({"email": sorted({x for x in gone["email"].dropna()} |
                                                              {x for x in gone["_raw_email"].dropna()})}))
            con.execute("CREATE OR REPLACE TEMP TABLE _erased_emails AS SELECT * FROM _ee")
            con.unregister("_ee")
            recs = recs[~hit].reset_index(drop=True)
    con.register("_er", pd.DataFrame({"record_id": sorted(erased_ids)}, dtype=object))
    con.execute("CREATE OR REPLACE TEMP TABLE _erased_records AS SELECT CAST(record_id AS VARCHAR) AS record_id FROM _er")
    con.unregister("_er")
    if "_erased_emails" not in {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}:
        con.execute("CREATE OR REPLACE TEMP TABLE _erased_emails (email VARCHAR)")
    return recs, erased_ids


def _consent_flags(recs: pd.DataFrame):
    """Consent flags on customer records (newsletter yes/no …) become consent rows at the record's sign-up date."""
    flag_cons = []
    for ch in ("email", "sms", "phone", "mail"):
        col = f"{ch}_consent"
        if col in recs.columns:
            f = recs[recs[col].notna()]
            flag_cons.append(pd.DataFrame({"record_id": f["record_id"], "channel": ch,
                                           "status": np.where(f[col].astype(bool), "opt_in", "opt_out"),
                                           "updated_at": pd.to_datetime(f["signup_date"]),
                                           "source": f["source_system"]}))
    recs = recs.drop(columns=[c for c in recs.columns if c.endswith("_consent")])
    return recs, flag_cons


def _create_tables(con) -> None:
    for t in ("customers", "customer_records", "products", "area_demographics", "campaigns", "orders",
              "order_items", "consents", "contacts", "responses", "email_events", "sms_events"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    for t in ("customers", "customer_records", "products", "area_demographics", "campaigns", "orders",
              "order_items", "consents", "contacts", "responses", "email_events", "sms_events"):
        con.execute(ddl(t))


def _store_people(con, gold, linked, scored, recs) -> None:
    cust_cols = [c.name for c in schema.TABLES["customers"]]
    con.register("_gold", gold.reindex(columns=cust_cols))
    con.execute(f"INSERT INTO customers SELECT {', '.join(_qi(c) for c in cust_cols)} FROM _gold ORDER BY customer_id")
    con.unregister("_gold")
    rec_cols = [c.name for c in schema.TABLES["customer_records"]]
    con.register("_lk", linked.reindex(columns=rec_cols))
    con.execute(f"INSERT INTO customer_records SELECT {', '.join(_qi(c) for c in rec_cols)} FROM _lk ORDER BY record_id")
    con.unregister("_lk")
    ids = linked["record_id"].to_numpy()
    pairs = pd.DataFrame({"record_i": ids[scored["i"].to_numpy()], "record_j": ids[scored["j"].to_numpy()],
                          "score": scored["score"].to_numpy(), "probability": scored["probability"].to_numpy()})
    con.register("_pairs", pairs)
    con.execute("CREATE OR REPLACE TABLE identity_pairs AS SELECT * FROM _pairs ORDER BY record_i, record_j")
    con.unregister("_pairs")
    # record → person, and contact details (cleaned and as written) → person, for the other tables
    con.execute("CREATE OR REPLACE TEMP TABLE _rec_person AS SELECT record_id, customer_id, signup_date FROM customer_records")
    person = linked.set_index("record_id")["customer_id"]
    key = pd.DataFrame({"record_id": recs["record_id"], "email": recs["email"], "raw_email": recs["_raw_email"],
                        "phone": recs["phone"], "raw_phone": recs["_raw_phone"],
                        "signup": pd.to_datetime(recs["signup_date"]).astype("string").fillna("")})
    key["customer_id"] = person.reindex(key["record_id"]).to_numpy()
    _register_text(con, "_key", key, list(key.columns))
    con.execute("""CREATE OR REPLACE TEMP TABLE _email_person AS
        SELECT email, arg_max(customer_id, signup || customer_id) AS customer_id FROM (
            SELECT email, customer_id, signup FROM _key WHERE email IS NOT NULL
            UNION SELECT raw_email, customer_id, signup FROM _key WHERE raw_email IS NOT NULL) GROUP BY email""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _phone_person AS
        SELECT phone, arg_max(customer_id, signup || customer_id) AS customer_id FROM (
            SELECT phone, customer_id, signup FROM _key WHERE phone IS NOT NULL
            UNION SELECT raw_phone, customer_id, signup FROM _key WHERE raw_phone IS NOT NULL AND raw_phone <> '')
        GROUP BY phone""")


def _store_reference(con) -> None:
    con.execute("INSERT INTO products SELECT product_id, name, category, subcategory, unit_cost, list_price "
                "FROM src_products ORDER BY product_id")
    con.execute("""INSERT INTO area_demographics SELECT postal_code, city, households, population, median_income,
                   age_18_34, age_35_54, age_55_plus FROM src_area_demographics ORDER BY postal_code""")
    con.execute("""INSERT INTO campaigns SELECT campaign_id, name, channel, offer, start_date, end_date, cost_per_contact,
                   fixed_cost, segment FROM src_campaigns ORDER BY campaign_id""")


def _erased_rows(con, table: str, src: str, where: str) -> None:
    """Quarantine rows of an erased person (without their values)."""
    _quarantine_select(con, table, where, f"'{ERASED}'", "customer_id", src=src, raw=False)


def _store_orders(con, cfg: ClientConfig, gold: pd.DataFrame, erased_ids: set) -> None:
    """Orders by person (cost from product costs where known, else from the gross margin); test accounts apart."""
    if erased_ids:
        con.execute("""CREATE OR REPLACE TEMP TABLE _erased_orders AS SELECT order_id FROM _all_orders
                       WHERE customer_id IN (SELECT record_id FROM _erased_records)""")
        for t, src in (("orders", "src_orders"), ("sales_lines", "src_sales_lines")):
            _erased_rows(con, t, src, "t.customer_id IN (SELECT record_id FROM _erased_records)")
        _erased_rows(con, "order_items", "src_order_items", "t.order_id IN (SELECT order_id FROM _erased_orders)")
        con.execute("DELETE FROM _all_orders WHERE order_id IN (SELECT order_id FROM _erased_orders)")
        con.execute("DELETE FROM _items WHERE order_id IN (SELECT order_id FROM _erased_orders)")
    margin = cfg.economics.gross_margin
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _item_cost AS
        SELECT i.order_id, sum(i.quantity * p.unit_cost) AS cost, bool_and(p.unit_cost IS NOT NULL) AS complete
        FROM _items i LEFT JOIN src_products p USING (product_id) GROUP BY 1""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _orders_final AS
        SELECT o.order_id, rp.customer_id, o.order_ts, o.channel, o.store_id, round(o.gross_amount, 2) AS gross_amount,
               round(o.discount, 2) AS discount, round(o.net_amount, 2) AS net_amount,
               round(coalesce(o.cost, CASE WHEN ic.complete THEN
                    CASE WHEN o.status = 'returned' THEN -abs(ic.cost) ELSE abs(ic.cost) END END,
                    o.net_amount * (1 - {margin})), 2) AS cost,
               o.status, o.original_order_id,
               (o.cost IS NULL AND NOT coalesce(ic.complete, FALSE)) AS cost_estimated, o.source_system
        FROM _all_orders o JOIN _rec_person rp ON rp.record_id = o.customer_id
        LEFT JOIN _item_cost ic ON ic.order_id = o.order_id""")
    test_people = sorted(gold.loc[gold["is_test"].astype(bool), "customer_id"])
    con.register("_tp", pd.DataFrame({"customer_id": test_people}, dtype=object))
    con.execute("CREATE OR REPLACE TABLE test_orders AS SELECT * FROM _orders_final WHERE customer_id IN "
                "(SELECT customer_id FROM _tp) ORDER BY order_ts, order_id")
    con.execute("DELETE FROM _orders_final WHERE customer_id IN (SELECT customer_id FROM _tp)")
    con.unregister("_tp")
    con.execute("INSERT INTO orders SELECT * FROM _orders_final ORDER BY order_ts, order_id")
    con.execute("""INSERT INTO order_items SELECT i.order_id, i.line_no, i.product_id, i.quantity, i.unit_price, i.discount
                   FROM _items i WHERE i.order_id IN (SELECT order_id FROM orders) ORDER BY i.order_id, i.line_no""")


def _store_consents(con, linked: pd.DataFrame, flag_cons: list, erased_ids: set) -> None:
    """Explicit consent rows (by record id or e-mail) + the flags of the customer records; the latest wins."""
    cs = con.execute("SELECT * FROM src_consents").df()
    cs["email_clean"] = _clean.standardise_emails(cs["email"]) if len(cs) else pd.Series(dtype=object)
    cs["email_raw"] = cs["email"].astype("string").str.strip().str.lower().astype(object) if len(cs) else None
    _register_text(con, "_cs", cs, ["customer_id", "email", "email_clean", "email_raw", "channel", "status",
                                    "source_file", "source_system"])
    _erased_rows(con, "consents", "_cs", "t.customer_id IN (SELECT record_id FROM _erased_records) OR "
                 "t.email_clean IN (SELECT email FROM _erased_emails) OR t.email_raw IN (SELECT email FROM _erased_emails)")
    con.execute("""CREATE OR REPLACE TEMP TABLE _cs_m AS SELECT c.*, coalesce(rp.customer_id, ep.customer_id, er.customer_id)
        AS person FROM _cs c LEFT JOIN _rec_person rp ON rp.record_id = c.customer_id
        LEFT JOIN _email_person ep ON ep.email = c.email_clean LEFT JOIN _email_person er ON er.email = c.email_raw""")
    _quarantine_select(con, "consents", "t.person IS NULL",
                       "'no customer with this ' || CASE WHEN t.customer_id IS NULL THEN 'e-mail address' ELSE 'id' END",
                       "customer_id", src="_cs_m", raw=False)
    con.execute("""INSERT INTO consents SELECT person, channel, status, coalesce(updated_at, TIMESTAMP '1900-01-01'),
        coalesce(nullif(source_system, ''), source_file) FROM _cs_m ORDER BY person, channel, updated_at""")
    if flag_cons:
        fc = pd.concat(flag_cons, ignore_index=True)
        person = linked.set_index("record_id")["customer_id"]
        fc["customer_id"] = person.reindex(fc["record_id"]).to_numpy()
        fc = fc[fc["customer_id"].notna() & fc["updated_at"].notna()]
        con.register("_fc", fc[["customer_id", "channel", "status", "updated_at", "source"]])
        con.execute("INSERT INTO consents SELECT customer_id, channel, status, updated_at, source FROM _fc "
                    "ORDER BY customer_id, channel, updated_at")
        con.unregister("_fc")


def _map_people(con, table: str, select: str, key=None, dup_reason=None, what: str = "id") -> None:
    """Rows keyed by a source record (or e-mail/phone) → rows keyed by person; unknown people are quarantined."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _m_{table} AS {select}")
    cols = [r[0] for r in con.execute(f"DESCRIBE _m_{table}").fetchall()]
    cid = cols[1]
    _quarantine_select(con, table, f"t.{_qi(cid)} IS NULL", f"'no customer with this {what}'", "customer_id",
                       src=f"_m_{table}", raw=False)
    if key:
        k = ", ".join(_qi(cols[0]) if c == "campaign_id" else _qi(cid) for c in key)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_{table}_all AS SELECT *, row_number() OVER (PARTITION BY {k}
            ORDER BY source_file, source_row) AS _rn FROM _m_{table}""")
        _quarantine_select(con, table, "t._rn > 1", f"'{dup_reason}'", "customer_id", src=f"_m_{table}_all",
                           raw=False)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _m_{table} AS SELECT * EXCLUDE (_rn) FROM _m_{table}_all")
        con.execute(f"DROP TABLE _m_{table}_all")


def _store_contacts_and_events(con, region: str, erased_ids: set) -> None:
    er = "t.customer_id IN (SELECT record_id FROM _erased_records)"
    for t in ("contacts", "responses"):
        _erased_rows(con, t, f"src_{t}", er)
    _quarantine_select(con, "contacts", "t.campaign_id NOT IN (SELECT campaign_id FROM campaigns)",
                       "'campaign_id: ' || t.campaign_id || ' is not in the campaigns file'", "campaign_id")
    _map_people(con, "contacts", """SELECT s.campaign_id, rp.customer_id, s.cell, coalesce(s."group", 'treatment') AS "group",
        s.contact_ts, s.channel, s.source_file, s.source_row FROM src_contacts s LEFT JOIN _rec_person rp
        ON rp.record_id = s.customer_id""", key=("campaign_id", "customer_id"),
        dup_reason="the same person was contacted twice in one campaign (two records of one person)")
    con.execute("INSERT INTO contacts SELECT * EXCLUDE (source_file, source_row) FROM _m_contacts "
                "ORDER BY campaign_id, customer_id")
    _map_people(con, "responses", """SELECT s.campaign_id, rp.customer_id, s.response_ts, s.order_id, s.revenue,
        s.source_file, s.source_row FROM src_responses s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id""")
    con.execute("INSERT INTO responses SELECT * EXCLUDE (source_file, source_row) FROM _m_responses "
                "ORDER BY campaign_id, customer_id, response_ts")
    ev = con.execute("SELECT * FROM src_email_events").df()
    ev["email_clean"] = _clean.standardise_emails(ev["email"]) if len(ev) else pd.Series(dtype=object)
    ev["email_raw"] = ev["email"].astype("string").str.strip().str.lower().astype(object) if len(ev) else None
    _register_text(con, "_ev", ev, ["campaign_id", "customer_id", "email", "email_clean", "email_raw", "event",
                                    "source_file"])
    _erased_rows(con, "email_events", "_ev", er + " OR t.email_clean IN (SELECT email FROM _erased_emails) OR "
                 "t.email_raw IN (SELECT email FROM _erased_emails)")
    _map_people(con, "email_events", """SELECT s.campaign_id, coalesce(rp.customer_id, ep.customer_id, eq.customer_id) AS customer_id,
        s.event, s.event_ts, s.source_file, s.source_row FROM _ev s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id
        LEFT JOIN _email_person ep ON ep.email = s.email_clean LEFT JOIN _email_person eq ON eq.email = s.email_raw""",
                what="e-mail address")
    con.execute("INSERT INTO email_events SELECT * EXCLUDE (source_file, source_row) FROM _m_email_events "
                "ORDER BY campaign_id, customer_id, event_ts, event")
    sm = con.execute("SELECT * FROM src_sms_events").df()
    sm["phone_clean"] = _clean.standardise_phones(sm["phone"], region) if len(sm) else pd.Series(dtype=object)
    sm["phone_raw"] = sm["phone"].astype("string").str.replace(r"\D", "", regex=True).astype(object) if len(sm) else None
    _register_text(con, "_sm", sm, ["campaign_id", "customer_id", "phone", "phone_clean", "phone_raw", "event",
                                    "source_file"])
    _erased_rows(con, "sms_events", "_sm", er)
    _map_people(con, "sms_events", """SELECT s.campaign_id, coalesce(rp.customer_id, pp.customer_id, pq.customer_id) AS customer_id,
        s.event, s.event_ts, s.source_file, s.source_row FROM _sm s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id
        LEFT JOIN _phone_person pp ON pp.phone = s.phone_clean LEFT JOIN _phone_person pq ON pq.phone = s.phone_raw""",
                what="phone number")
    con.execute("INSERT INTO sms_events SELECT * EXCLUDE (source_file, source_row) FROM _m_sms_events "
                "ORDER BY campaign_id, customer_id, event_ts, event")


QUALITY_SQL = {
    "before cleaning": {
        "customers": "SELECT * FROM src_customers",
        "orders": "SELECT order_id, customer_id, order_ts, channel, coalesce(net_amount, gross_amount) AS net_amount, "
                  "status FROM src_orders UNION ALL SELECT order_id, arg_min(customer_id, source_row), min(order_ts), "
                  "arg_min(channel, source_row), sum(quantity * unit_price), arg_min(status, source_row) FROM src_sales_lines "
                  "GROUP BY 1",
        "consents": "SELECT customer_id, channel, status, updated_at FROM src_consents"},
    "after cleaning": {
        "orders": "SELECT order_id, customer_id, order_ts, channel, net_amount, status FROM orders UNION ALL "
                  "SELECT order_id, NULL, order_ts, channel, net_amount, status FROM anonymous_sales",
        "consents": "SELECT customer_id, channel, status, updated_at FROM consents"},
}


def _quality_before(con, region: str, as_of) -> pd.DataFrame:
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
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["stage", "table", "column", "rows", "completeness", "validity", "uniqueness", "freshness_days"])


def _quality_after(con, before: pd.DataFrame, gold: pd.DataFrame, region: str, as_of) -> pd.DataFrame:
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


def _views(con) -> None:
    con.execute("""
        CREATE OR REPLACE VIEW consent_latest AS
        SELECT customer_id, channel, arg_max(status, (updated_at, status = 'opt_out')) AS status, max(updated_at) AS updated_at
        FROM consents GROUP BY customer_id, channel;

        CREATE OR REPLACE VIEW purchases AS
        SELECT * FROM orders WHERE status = 'completed';

        CREATE OR REPLACE VIEW sales AS
        SELECT * FROM orders WHERE status <> 'cancelled';

        CREATE OR REPLACE VIEW customer_view AS
        SELECT c.*, a.households AS area_households, a.population AS area_population,
               a.median_income AS area_median_income, a.age_18_34 AS area_age_18_34,
               a.age_35_54 AS area_age_35_54, a.age_55_plus AS area_age_55_plus,
               s.first_purchase, s.last_purchase, coalesce(s.orders, 0) AS orders, coalesce(s.revenue, 0) AS revenue,
               coalesce(s.margin, 0) AS margin, coalesce(s.channels, 0) AS channels,
               k.email_consent, k.sms_consent, k.phone_consent, k.mail_consent
        FROM customers c
        LEFT JOIN area_demographics a USING (postal_code)
        LEFT JOIN (SELECT customer_id, min(order_ts) FILTER (WHERE status = 'completed') AS first_purchase,
                          max(order_ts) FILTER (WHERE status = 'completed') AS last_purchase,
                          count(*) FILTER (WHERE status = 'completed') AS orders,
                          sum(net_amount) FILTER (WHERE status <> 'cancelled') AS revenue,
                          sum(net_amount - cost) FILTER (WHERE status <> 'cancelled') AS margin,
                          count(DISTINCT channel) FILTER (WHERE status = 'completed') AS channels
                   FROM orders GROUP BY 1) s USING (customer_id)
        LEFT JOIN (SELECT customer_id, any_value(status) FILTER (WHERE channel = 'email') AS email_consent,
                          any_value(status) FILTER (WHERE channel = 'sms') AS sms_consent,
                          any_value(status) FILTER (WHERE channel = 'phone') AS phone_consent,
                          any_value(status) FILTER (WHERE channel = 'mail') AS mail_consent
                   FROM consent_latest GROUP BY 1) k USING (customer_id);
    """)


def _meta(con, cfg: ClientConfig, report: BuildReport) -> None:
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
    con.execute("CREATE TABLE IF NOT EXISTS audit_log (ts TIMESTAMP, action VARCHAR, subject_token VARCHAR, detail VARCHAR)")


def cleaning_settings(ws) -> dict:
    """The settings the database was cleaned with (phone region, analysis date, test and staff patterns, match
    threshold, source priority) — for a synthetic client they come from its locale.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> cleaning_settings(ws)["region"], cleaning_settings(ws)["match_threshold"]
    ('US', 0.85)
    """
    return json.loads(ws.meta.get("cleaning", "{}"))


def clean_like_build(ws, records: pd.DataFrame) -> pd.DataFrame:
    """Clean source customer records exactly as the build did (``dbm.clean.clean_customer_records`` with the
    database's settings).

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> clean_like_build(ws, pd.DataFrame({"customer_id": ["1"], "email": [" Ann@X.com"]}))["email"].tolist()
    ['ann@x.com']
    """
    st = cleaning_settings(ws)
    return _clean.clean_customer_records(records, region=st.get("region", "US"), as_of=st.get("as_of"),
                                         test_patterns=st.get("test_patterns", ()),
                                         staff_domains=st.get("staff_domains", ()))


def reconciliation(ws_or_con) -> pd.DataFrame:
    """Per source: rows read, loaded, quarantined and whether read = loaded + quarantined (it always should).

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE load_log AS SELECT 'orders' AS table_name, "
    ...     "'a.csv' AS source, 10 AS rows_read, 8 AS rows_loaded, 2 AS rows_quarantined")
    >>> reconciliation(con)["balanced"].tolist()
    [True]
    """
    con, close = _con_of(ws_or_con)
    try:
        df = con.execute("""SELECT table_name, source, rows_read, rows_loaded, rows_quarantined,
            rows_read = rows_loaded + rows_quarantined AS balanced FROM load_log ORDER BY rowid""").df()
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


def quarantine_summary(ws_or_con) -> pd.DataFrame:
    """Quarantined rows by table, file and kind of reason, with the count and the first row in the file (the
    place to start fixing the source).

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> qs = quarantine_summary(ws)
    >>> int(qs["rows"].sum()) == ws.build_summary()["rows_quarantined"]
    True
    """
    con, close = _con_of(ws_or_con)
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
    >>> from dbmkit.workspace import workspace
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
            truth_sql = f"SELECT DISTINCT order_id FROM read_parquet('{_sql_str(str(path))}')"
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


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def value_issue_summary(ws_or_con) -> pd.DataFrame:
    """Unreadable values of optional columns (left empty, the row loaded) by table, file, column and kind of
    problem, with the count, the first row and one example value.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> list(value_issue_summary(ws).columns)
    ['table_name', 'source', 'column_name', 'problem_kind', 'values', 'first_row', 'example']
    """
    con, close = _con_of(ws_or_con)
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


class Sandbox:
    """A private copy of a workspace's database (and privacy memory) to try destructive things on — erasure,
    retention — without touching the real database. ``sql``/``connect`` work as on a workspace.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> sb = Sandbox(ws)
    >>> _ = erase_customer(sb, sb.sql("SELECT min(customer_id) AS c FROM customers")["c"].iloc[0])
    >>> len(sb.sql("SELECT * FROM customers")) == len(ws.sql("SELECT * FROM customers")) - 1
    True
    >>> sb.close()
    """

    def __init__(self, ws, directory: str | Path | None = None):
        self.workdir = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="dbmkit_sandbox_"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.workdir / "marketing.duckdb"
        shutil.copy(ws.db_path, self.db_path)
        if _privacy_file(ws.workdir).exists():
            shutil.copy(_privacy_file(ws.workdir), _privacy_file(self.workdir))
        self.cfg = ws.cfg

    def connect(self, read_only: bool = True):
        from contextlib import closing
        return closing(connect(self.db_path, read_only=read_only))

    def sql(self, query: str, params=None) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(query, params or []).df()

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Sandbox({str(self.db_path)!r})"


# ------------------------------------------------------------------------------------------------ protect
CONTACT_FIELD = {"email": "email", "sms": "phone", "phone": "phone", "mail": "street"}


def latest_consents(con, as_of=None) -> pd.DataFrame:
    """Latest consent status per customer and channel (as of a date: later changes are ignored). When an opt-in
    and an opt-out carry the same time, the opt-out wins (the safe reading).

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE consents AS SELECT * FROM (VALUES "
    ...     "('P1', 'email', 'opt_in', TIMESTAMP '2024-01-01'), ('P1', 'email', 'opt_out', TIMESTAMP '2024-06-01')) "
    ...     "t(customer_id, channel, status, updated_at)")
    >>> latest_consents(con)["status"].tolist(), latest_consents(con, as_of="2024-03-01")["status"].tolist()
    (['opt_out'], ['opt_in'])
    """
    con, close = _con_of(con)
    try:
        where = "WHERE updated_at < ?" if as_of is not None else ""
        params = [pd.Timestamp(as_of) + pd.Timedelta(days=1)] if as_of is not None else []
        return con.execute(f"""SELECT customer_id, channel, arg_max(status, (updated_at, status = 'opt_out')) AS status,
            max(updated_at) AS updated_at FROM consents {where} GROUP BY 1, 2 ORDER BY 1, 2""", params).df()
    finally:
        if close:
            con.close()


def consent_summary(ws_or_con, as_of=None) -> pd.DataFrame:
    """Per channel: persons with a consent record, opted in, opted out, the opt-out share, and persons without
    any record (who must not be contacted either: no consent means no).

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES ('P1'), ('P2')) t(customer_id)")
    >>> _ = con.execute("CREATE TABLE consents AS SELECT 'P1' AS customer_id, 'email' AS channel, "
    ...     "'opt_out' AS status, TIMESTAMP '2024-01-01' AS updated_at")
    >>> consent_summary(con).set_index("channel").loc["email", ["opted_out", "optout_share", "no_record"]].tolist()
    [1.0, 1.0, 1.0]
    """
    con, close = _con_of(ws_or_con)
    try:
        lat = latest_consents(con, as_of)
        n = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    finally:
        if close:
            con.close()
    rows = []
    for ch in schema.ENUMS["consent_channel"]:
        d = lat[lat["channel"] == ch]
        opt_in = int((d["status"] == "opt_in").sum())
        opt_out = int((d["status"] == "opt_out").sum())
        rows.append(dict(channel=ch, with_record=len(d), opted_in=opt_in, opted_out=opt_out,
                         optout_share=opt_out / len(d) if len(d) else np.nan, no_record=int(n - len(d))))
    return pd.DataFrame(rows)


def suppression_list(con, channel: str, as_of=None) -> pd.DataFrame:
    """Everyone who must not be contacted on ``channel``, with the reason (one row per customer and reason).

    Reasons: no opt-in / opted out for the channel (latest status wins; no record means no consent), no valid
    contact detail for the channel, deceased, gone away (mail), test account, staff, e-mail bounced or complained
    or unsubscribed at the platform (e-mail), SMS undeliverable or STOP (sms).

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE customers AS SELECT 'P1' AS customer_id, 'a@b.com' AS email, NULL AS phone, "
    ...     "'x' AS street, false AS is_test, false AS is_staff, false AS deceased, false AS gone_away")
    >>> _ = con.execute("CREATE TABLE consents AS SELECT 'P1' AS customer_id, 'email' AS channel, 'opt_out' AS status, "
    ...     "TIMESTAMP '2024-01-01' AS updated_at")
    >>> suppression_list(con, "email")["reason"].tolist()
    ['not opted in']
    """
    if channel not in CONTACT_FIELD:
        raise ValueError(f"channel must be one of {list(CONTACT_FIELD)}, not {channel!r}")
    con, close = _con_of(con)
    try:
        field = CONTACT_FIELD[channel]
        ts = pd.Timestamp(as_of) + pd.Timedelta(days=1) if as_of is not None else pd.Timestamp("2999-01-01")
        parts = [
            f"""SELECT c.customer_id, 'not opted in' AS reason FROM customers c LEFT JOIN (
                  SELECT customer_id, arg_max(status, (updated_at, status = 'opt_out')) AS status FROM consents
                  WHERE channel = '{channel}' AND updated_at < $ts GROUP BY 1) k USING (customer_id)
                WHERE coalesce(k.status, 'none') <> 'opt_in'""",
            f"SELECT customer_id, 'no valid {field}' FROM customers WHERE {field} IS NULL",
            "SELECT customer_id, 'deceased' FROM customers WHERE coalesce(deceased, false)",
            "SELECT customer_id, 'test account' FROM customers WHERE coalesce(is_test, false)",
            "SELECT customer_id, 'staff' FROM customers WHERE coalesce(is_staff, false)",
        ]
        if channel == "mail":
            parts.append("SELECT customer_id, 'gone away' FROM customers WHERE coalesce(gone_away, false)")
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if channel == "email" and "email_events" in tables:
            for ev, why in (("bounced", "e-mail bounced"), ("complained", "complained (spam report)"),
                            ("unsubscribed", "unsubscribed")):
                parts.append(f"SELECT DISTINCT customer_id, '{why}' FROM email_events WHERE event = '{ev}' "
                             f"AND event_ts < $ts")
        if channel == "sms" and "sms_events" in tables:
            for ev, why in (("bounced", "SMS undeliverable"), ("unsubscribed", "unsubscribed")):
                parts.append(f"SELECT DISTINCT customer_id, '{why}' FROM sms_events WHERE event = '{ev}' "
                             f"AND event_ts < $ts")
        if "campaign_feedback" in tables:       # phase 4 feedback: opt-outs and bounces of the planned campaign
            parts.append(f"""SELECT DISTINCT customer_id, CASE kind WHEN 'bounce' THEN 'bounced (campaign feedback)'
                ELSE 'opted out (campaign feedback)' END FROM campaign_feedback WHERE channel = '{channel}'
                AND kind IN ('unsubscribe', 'complaint', 'bounce') AND event_ts < $ts""")
        sql = " UNION ".join(parts)
        return con.execute(f"SELECT customer_id, reason FROM ({sql}) ORDER BY customer_id, reason", {"ts": ts}).df()
    finally:
        if close:
            con.close()


PERSON_TABLES = ["consents", "contacts", "responses", "email_events", "sms_events", "order_items", "orders",
                 "test_orders", "customer_records", "customers"]


def erase_customer(con, customer_id, workdir: str | Path | None = None, reason: str = "erasure request") -> dict:
    """Right to erasure (删除权 / GDPR art. 17): remove a person (or a list of persons) from every table now and from
    every later build.

    ``con`` is a Workspace or Sandbox (then ``workdir`` is its folder) or a writable connection with ``workdir``.
    Orders stay in the accounts as anonymous sales (no customer id). Every table with a ``customer_id`` column loses
    the person's rows — analysis tables and campaign lists too —, quarantined rows mentioning the person lose their
    raw values, and the person's record ids, e-mails and phones are remembered only as salted hashes in
    ``<workdir>/erasures.json`` so a rebuild keeps them out. The audit log gets one entry per person with a salted
    token, never the id or personal data. Returns the rows removed per table.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> sb = Sandbox(ws)                                  # try it on a copy
    >>> who = sb.sql("SELECT customer_id FROM customers ORDER BY n_records DESC LIMIT 1")["customer_id"].iloc[0]
    >>> removed = erase_customer(sb, who, reason="customer request")
    >>> removed["customers"], len(sb.sql("SELECT * FROM audit_log"))
    (1, 1)
    >>> sb.close()
    """
    if hasattr(con, "db_path"):
        workdir = workdir or con.workdir
        c = connect(con.db_path, read_only=False)
        try:
            return erase_customer(c, customer_id, workdir, reason)
        finally:
            c.close()
    if workdir is None:
        raise ValueError("give the workspace folder (workdir) so the erasure survives a rebuild")
    ids = [customer_id] if isinstance(customer_id, str) else [str(x) for x in customer_id]
    if not ids:
        return {}
    ers = load_erasures(Path(workdir))
    salt = ers["salt"]
    region = _region_of(con)
    con.register("_erase_ids", pd.DataFrame({"customer_id": ids}, dtype=object))
    try:
        recs = con.execute("SELECT record_id, email, phone FROM customer_records WHERE customer_id IN "
                           "(SELECT customer_id FROM _erase_ids)").df()
        gold = con.execute("SELECT customer_id, email, phone FROM customers WHERE customer_id IN "
                           "(SELECT customer_id FROM _erase_ids)").df()
        missing = sorted(set(ids) - set(gold["customer_id"]))
        if missing:
            raise KeyError(f"no customer {missing[0]!r} in the database" + (f" (and {len(missing) - 1} more)"
                                                                            if len(missing) > 1 else ""))
        keys = _erasure_keys(list(recs["record_id"]) + list(recs["email"]) + list(recs["phone"]) +
                             list(gold["email"]) + list(gold["phone"]), salt, region)
        # 1. remember the erasure first (hashes only): even an interrupted erasure keeps the people out of rebuilds
        tokens = [_hash(c, salt)[:12] for c in ids]
        now = dt.datetime.now().isoformat(timespec="seconds")
        ers["keys"] = sorted(set(ers["keys"]) | keys)
        ers["log"] += [{"ts": now, "token": tk, "reason": reason} for tk in tokens]
        _save_erasures(Path(workdir), ers)
        # 2. delete: rows that refer to the people, then their orders, then the people (DuckDB checks foreign keys
        # against the state at the start of a transaction, so each level is its own transaction)
        removed: dict[str, int] = {}
        tables = _base_tables(con)
        cols = {t: {r[0] for r in con.execute(f"DESCRIBE {_qi(t)}").fetchall()} for t in tables}
        others = [t for t in tables if t not in PERSON_TABLES and "customer_id" in cols[t]]
        first = others + [t for t in PERSON_TABLES if t not in ("orders", "customers")]
        who = "(SELECT customer_id FROM _erase_ids)"
        for level in (first, ["orders"], ["customers"]):
            con.execute("BEGIN TRANSACTION")
            try:
                for t in level:
                    if t not in tables:
                        continue
                    if t == "order_items":
                        sql = f"DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM orders WHERE customer_id IN {who})"
                    else:
                        if t == "orders" and "anonymous_sales" in tables:   # the accounts keep the sales, anonymous
                            con.execute(f"""INSERT INTO anonymous_sales SELECT order_id, order_ts, channel, store_id,
                                net_amount, status, 'erased customer' FROM orders WHERE customer_id IN {who}""")
                        sql = f"DELETE FROM {_qi(t)} WHERE CAST(customer_id AS VARCHAR) IN {who}"
                    removed[t] = int(con.execute(sql).fetchall()[0][0])
                if level is first:
                    if "identity_pairs" in tables and len(recs):
                        con.register("_er", recs[["record_id"]])
                        removed["identity_pairs"] = int(con.execute(
                            "DELETE FROM identity_pairs WHERE record_i IN (SELECT record_id FROM _er) "
                            "OR record_j IN (SELECT record_id FROM _er)").fetchall()[0][0])
                        con.unregister("_er")
                    removed["quarantine_scrubbed"] = _scrub_raw(con, keys, salt, region)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        # 3. the audit entries: a salted token per person and the counts, never the id or personal data
        con.execute("CREATE TABLE IF NOT EXISTS audit_log (ts TIMESTAMP, action VARCHAR, subject_token VARCHAR, "
                    "detail VARCHAR)")
        detail = json.dumps({"reason": reason, "persons_in_request": len(ids), "rows": removed})
        con.register("_audit", pd.DataFrame({"token": tokens, "detail": detail}, dtype=object))
        try:          # one statement for all persons (executemany costs milliseconds per row)
            con.execute("INSERT INTO audit_log SELECT now(), 'erase', token, detail FROM _audit")
        finally:
            con.unregister("_audit")
    finally:
        con.unregister("_erase_ids")
    return removed


def _region_of(con) -> str:
    """The phone region the database was built with (from its phones; US by default)."""
    try:
        r = con.execute("SELECT substr(phone, 1, 3) AS p, count(*) FROM customers WHERE phone IS NOT NULL "
                        "GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchall()
    except duckdb.Error:
        return "US"
    return "CN" if r and r[0][0] == "+86" else "US"


DIRECT_IDENTIFIERS = ["first_name", "last_name", "full_name", "email", "phone", "street", "birth_date"]


def pseudonymise(df: pd.DataFrame, salt: str, id_columns=("customer_id", "household_id", "record_id"),
                 drop=DIRECT_IDENTIFIERS) -> pd.DataFrame:
    """An analysis extract without direct identifiers (假名化): ids replaced by salted SHA-256 tokens (the same id
    gives the same token with the same salt, so tables still join), names/e-mails/phones/streets dropped, birth
    date reduced to birth year.

    >>> pseudonymise(pd.DataFrame({"customer_id": ["P1"], "email": ["a@b.com"], "birth_date": ["1980-05-01"]}),
    ...              salt="s").columns.tolist()
    ['customer_id', 'birth_year']
    """
    out = df.copy()
    if "birth_date" in out.columns:
        out["birth_year"] = pd.to_datetime(out["birth_date"], errors="coerce").dt.year.astype("Int64")
    for c in id_columns:
        if c in out.columns:
            out[c] = [None if not isinstance(v, str) else "T" + _hash(v, salt)[:15] for v in out[c]]
    return out.drop(columns=[c for c in drop if c in out.columns])


def pseudonymised_extract(ws, query: str) -> pd.DataFrame:
    """Run a query on a workspace and pseudonymise the result with the workspace's own extract salt (kept in
    ``<workdir>/erasures.json``, separate from the erasure salt), ready to hand to an analyst or agency.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> list(pseudonymised_extract(ws, "SELECT customer_id, email, birth_date FROM customers LIMIT 3").columns)
    ['customer_id', 'birth_year']
    """
    salt = load_erasures(ws.workdir)["extract_salt"]
    if not _privacy_file(ws.workdir).exists():
        _save_erasures(ws.workdir, load_erasures(ws.workdir))
    return pseudonymise(ws.sql(query), salt)


def stale_customers(con, as_of, years: float = 7.0) -> pd.DataFrame:
    """Customers with no purchase, contact, consent change or sign-up in the last ``years`` (retention rule).

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> stale = stale_customers(ws, ws.as_of, years=1)
    >>> bool((stale["last_activity"] < ws.as_of - pd.Timedelta(days=365)).all())
    True
    """
    con, close = _con_of(con)
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=365.25 * years)
    try:
        return con.execute("""
            WITH act AS (
                SELECT customer_id, max(order_ts) AS ts FROM orders GROUP BY 1
                UNION ALL SELECT customer_id, max(updated_at) FROM consents GROUP BY 1
                UNION ALL SELECT customer_id, max(contact_ts) FROM contacts GROUP BY 1
                UNION ALL SELECT customer_id, CAST(signup_date AS TIMESTAMP) FROM customers)
            SELECT customer_id, max(ts) AS last_activity FROM act GROUP BY 1
            HAVING coalesce(max(ts), TIMESTAMP '1900-01-01') < ? ORDER BY last_activity, customer_id""", [cutoff]).df()
    finally:
        if close:
            con.close()


def apply_retention(con, as_of, workdir=None, years: float = 7.0) -> int:
    """Erase every stale customer (see ``stale_customers``) in one erasure; returns how many were erased.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> sb = Sandbox(ws)
    >>> n = apply_retention(sb, ws.as_of, years=1)
    >>> n == len(stale_customers(ws, ws.as_of, years=1)), len(stale_customers(sb, ws.as_of, years=1))
    (True, 0)
    >>> sb.close()
    """
    stale = stale_customers(con, as_of, years)
    if len(stale):
        erase_customer(con, list(stale["customer_id"]), workdir, reason=f"retention: inactive for {years:g} years")
    return len(stale)


def enrich_customers(customers: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Data append (附加数据): add postal-area demographics (households, population, median income, age mix)
    to each customer by postal code.

    >>> enrich_customers(pd.DataFrame({"customer_id": ["P1"], "postal_code": ["10001"]}),
    ...                  pd.DataFrame({"postal_code": ["10001"], "median_income": [70000]})).columns.tolist()
    ['customer_id', 'postal_code', 'area_median_income']
    """
    a = areas.rename(columns={c: f"area_{c}" for c in areas.columns if c != "postal_code"})
    return customers.merge(a, on="postal_code", how="left")


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
    "data_quality": "data-quality report before and after cleaning",
    "audit_log": "privacy actions (erasures) without personal data",
}


def table_overview(ws_or_con) -> pd.DataFrame:
    """The database's main tables with their row counts and what they hold.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> table_overview(ws).set_index("table").loc["customers", "holds"]
    'one row per person (golden record after merge/purge)'
    """
    counts = table_counts(ws_or_con)
    rows = [dict(table=t, rows=counts[t], holds=note) for t, note in TABLE_NOTES.items() if t in counts]
    return pd.DataFrame(rows)
