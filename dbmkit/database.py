"""The marketing database (数据库/数据仓库): build it from the sources, keep it safe, protect the people in it.

``build`` runs the whole phase-1 pipeline into a new DuckDB file — ingest → clean → merge/purge → store — and only
then swaps it into place, so a failed build never leaves a half-written database. The schema follows
:mod:`dbmkit.schema` with primary keys, foreign keys, NOT NULL and CHECK constraints.

Protection: consent per channel (latest status wins), ``suppression_list(channel)`` of everyone who must not be
contacted and why, ``erase_customer`` (right to erasure: removes the person from every table and from every later
build, keeps an audit entry without personal data), ``pseudonymise`` for analysis extracts, and a retention rule
for stale records.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import clean as _clean
from . import identity as _identity
from . import schema
from ._util import isin
from .config import ClientConfig, SourceFile
from .ingest import LoadResult, ensure_ingest_tables, load_source

__all__ = ["build", "connect", "ddl", "table_overview", "suppression_list", "erase_customer", "pseudonymise", "stale_customers",
           "apply_retention", "latest_consents", "enrich_customers", "BuildReport", "table_counts",
           "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
LOAD_ORDER = ["products", "area_demographics", "customers", "orders", "sales_lines", "order_items", "campaigns",
              "contacts", "responses", "consents", "email_events", "sms_events"]
SQL_TYPES = schema.SQL_TYPES
PRIMARY_KEYS = {"customers": ["customer_id"], "customer_records": ["record_id"], "products": ["product_id"],
                "orders": ["order_id"], "order_items": ["order_id", "line_no"], "campaigns": ["campaign_id"],
                "contacts": ["campaign_id", "customer_id"], "area_demographics": ["postal_code"]}
FOREIGN_KEYS = {"customer_records": [("customer_id", "customers", "customer_id")],
                "consents": [("customer_id", "customers", "customer_id")],
                "orders": [("customer_id", "customers", "customer_id")],
                "order_items": [("order_id", "orders", "order_id")],
                "contacts": [("customer_id", "customers", "customer_id"), ("campaign_id", "campaigns", "campaign_id")],
                "responses": [("customer_id", "customers", "customer_id")],
                "email_events": [("customer_id", "customers", "customer_id")],
                "sms_events": [("customer_id", "customers", "customer_id")]}
DERIVED_PREFIX = "a_"   # analysis tables written by chapters are plain names; see workspace.DERIVED


def ddl(table: str) -> str:
    """CREATE TABLE statement of a canonical table, with its keys and checks."""
    cols = schema.TABLES[table]
    lines = []
    for c in cols:
        t = SQL_TYPES[c.type]
        nn = " NOT NULL" if c.required else ""
        chk = ""
        if c.type == "enum" and c.enum in ("order_status", "consent_channel", "consent_status", "contact_group",
                                           "email_event", "sms_event"):
            vals = ", ".join(f"'{v}'" for v in schema.ENUMS[c.enum])
            chk = f" CHECK ({_qi(c.name)} IN ({vals}))"
        lines.append(f"{_qi(c.name)} {t}{nn}{chk}")
    if table == "orders":
        lines.append("CHECK (status <> 'returned' OR net_amount <= 0)")
        lines.append("CHECK (status = 'returned' OR net_amount >= 0)")
    if table == "order_items":
        lines.append("CHECK (unit_price >= 0)")
    if table in PRIMARY_KEYS:
        lines.append(f"PRIMARY KEY ({', '.join(_qi(k) for k in PRIMARY_KEYS[table])})")
    for col, ref, refcol in FOREIGN_KEYS.get(table, []):
        lines.append(f"FOREIGN KEY ({_qi(col)}) REFERENCES {ref} ({refcol})")
    return f"CREATE TABLE {table} (\n  " + ",\n  ".join(lines) + "\n)"


def _qi(name: str) -> str:
    return '"' + name + '"'


def connect(path: str | Path, read_only: bool = True, retries: int = 40) -> duckdb.DuckDBPyConnection:
    """Open the marketing database; waits a little when another process is writing it."""
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


def table_counts(con) -> dict[str, int]:
    names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
    return {n: con.execute(f"SELECT count(*) FROM {_qi(n)}").fetchall()[0][0] for n in sorted(names)}


# ------------------------------------------------------------------------------------------------ build report
class BuildReport(dict):
    """What a build did: rows read/loaded/quarantined per source, counts per table, identity and quality figures."""

    def summary(self) -> str:
        lines = [f"rows read {self['rows_read']:,} = loaded {self['rows_loaded']:,} + quarantined {self['rows_quarantined']:,}",
                 f"source records {self['customers_raw']:,} → persons {self['persons']:,} in {self['households']:,} households"]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ helpers
def _hash(value: str, salt: str) -> str:
    return hashlib.sha256((salt + "|" + str(value)).encode("utf-8")).hexdigest()[:24]


def _erasure_file(workdir: Path) -> Path:
    return Path(workdir) / "erasures.json"


def load_erasures(workdir: Path) -> dict:
    p = _erasure_file(workdir)
    if p.exists():
        return json.loads(p.read_text(encoding="utf-8"))
    return {"salt": hashlib.sha256(os.urandom(16)).hexdigest()[:16], "keys": [], "log": []}


def _dedupe(con, table: str, key: list[str], label: str) -> None:
    """Keep the first row per key; quarantine the others (exact duplicates or conflicting content)."""
    cols = [r[0] for r in con.execute(f"DESCRIBE src_{table}").fetchall()]
    content = [c for c in cols if c not in ("source_file", "source_row", "source_system")]
    k = ", ".join(_qi(c) for c in key)
    h = "md5(concat_ws('|', " + ", ".join(f"coalesce(CAST({_qi(c)} AS VARCHAR), '∅')" for c in content) + "))"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _dd AS SELECT *, row_number() OVER (PARTITION BY {k}
        ORDER BY source_file, source_row) AS _rn, {h} AS _h FROM src_{table}""")
    dup = con.execute(f"""SELECT d.source_file AS source, d.source_row, f.source_file AS first_file,
        f.source_row AS first_row, d._h = f._h AS same, {' || '.join(f"CAST(d.{_qi(c)} AS VARCHAR)" for c in key)} AS keyval
        FROM _dd d JOIN (SELECT * FROM _dd WHERE _rn = 1) f USING ({k}) WHERE d._rn > 1""").df()
    if len(dup):
        reason = np.where(dup["same"], f"exact duplicate of {label} ", f"{label} appears again with different content ")
        dup["reason"] = [f"{r}{kv} (first at {ff} row {fr})" for r, kv, ff, fr in
                         zip(reason, dup["keyval"], dup["first_file"], dup["first_row"])]
        q = pd.DataFrame({"table_name": table, "source": dup["source"], "source_row": dup["source_row"],
                          "column_name": key[0], "reason": dup["reason"], "raw_values": None})
        con.register("_qd", q)
        con.execute("INSERT INTO quarantine SELECT * FROM _qd")
        con.unregister("_qd")
        con.execute(f"CREATE OR REPLACE TABLE src_{table} AS SELECT * EXCLUDE (_rn, _h) FROM _dd WHERE _rn = 1")
        # the load log counted them as loaded: move them to quarantined
        per = dup.groupby("source").size()
        for src, n in per.items():
            con.execute("UPDATE load_log SET rows_loaded = rows_loaded - ?, rows_quarantined = rows_quarantined + ? "
                        "WHERE source = ? AND table_name = ?", [int(n), int(n), src, table])
    con.execute("DROP TABLE IF EXISTS _dd")


def _quarantine_select(con, table: str, select_sql: str, reason_sql: str, column: str) -> int:
    """Move rows of src_<table> matching ``select_sql`` (a WHERE condition) to quarantine with a reason."""
    n = con.execute(f"SELECT count(*) FROM src_{table} WHERE {select_sql}").fetchall()[0][0]
    if not n:
        return 0
    con.execute(f"""INSERT INTO quarantine SELECT '{table}', source_file, source_row, '{column}', {reason_sql}, NULL
                    FROM src_{table} WHERE {select_sql}""")
    per = con.execute(f"SELECT source_file, count(*) FROM src_{table} WHERE {select_sql} GROUP BY 1").fetchall()
    for src, k in per:
        con.execute("UPDATE load_log SET rows_loaded = rows_loaded - ?, rows_quarantined = rows_quarantined + ? "
                    "WHERE source = ? AND table_name = ?", [k, k, src, table])
    con.execute(f"DELETE FROM src_{table} WHERE {select_sql}")
    return n


def _empty_src(con, table: str) -> None:
    cols = schema.source_columns(table)
    defs = ", ".join(f"{_qi(c.name)} {SQL_TYPES[c.type]}" for c in cols)
    con.execute(f"CREATE TABLE IF NOT EXISTS src_{table} ({defs}, source_file VARCHAR, source_row BIGINT, "
                f"source_system VARCHAR)")


# ------------------------------------------------------------------------------------------------ build
def build(cfg: ClientConfig, db_path: str | Path, sources: dict[str, list[SourceFile]], base_dir: str | Path,
          workdir: str | Path, progress=None) -> BuildReport:
    """Build the marketing database from ``sources`` (the config's mapping) into ``db_path``, atomically.

    Returns a :class:`BuildReport`. Raises :class:`dbmkit.ingest.IngestError` for a source that cannot be read.
    """
    db_path = Path(db_path)
    workdir = Path(workdir)
    db_path.parent.mkdir(parents=True, exist_ok=True)
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
        results: list[LoadResult] = []
        say("ingest")
        for table in LOAD_ORDER:
            for spec in sources.get(table, []):
                results.append(load_source(con, table, spec, base_dir=base_dir, tmpdir=stage_dir))
        for table in LOAD_ORDER:
            _empty_src(con, table)
        erasures = load_erasures(workdir)
        report = _assemble(con, cfg, erasures, say)
        report["sources"] = [r.as_row() for r in results]
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
    os.replace(tmp, db_path)            # the swap: readers see the old or the new database, never half of one
    return report


def _assemble(con, cfg: ClientConfig, erasures: dict, say) -> BuildReport:
    region = cfg.data.default_phone_region
    today = pd.Timestamp.today().normalize()
    # -------------------------------------------------------------- keys and duplicates
    say("duplicates and rules")
    _quarantine_select(con, "orders", "order_ts > now() + INTERVAL 1 DAY",
                       "'order_ts: date in the future (' || CAST(order_ts AS VARCHAR) || ')'", "order_ts")
    _quarantine_select(con, "sales_lines", "order_ts > now() + INTERVAL 1 DAY",
                       "'order_ts: date in the future (' || CAST(order_ts AS VARCHAR) || ')'", "order_ts")
    _quarantine_select(con, "sales_lines", "quantity = 0", "'quantity: zero quantity'", "quantity")
    _quarantine_select(con, "order_items", "quantity = 0", "'quantity: zero quantity'", "quantity")
    _quarantine_select(con, "order_items", "unit_price < 0", "'unit_price: negative price'", "unit_price")
    _quarantine_select(con, "sales_lines", "unit_price < 0", "'unit_price: negative price'", "unit_price")
    _quarantine_select(con, "orders", "coalesce(net_amount, gross_amount) IS NULL",
                       "'net_amount: missing (and no gross_amount)'", "net_amount")
    _dedupe(con, "products", ["product_id"], "product_id")
    _dedupe(con, "orders", ["order_id"], "order_id")
    _dedupe(con, "campaigns", ["campaign_id"], "campaign_id")
    _dedupe(con, "area_demographics", ["postal_code"], "postal_code")
    con.execute("UPDATE src_customers SET customer_id = customer_id WHERE true")
    _dedupe(con, "customers", ["customer_id"], "customer_id")
    _dedupe(con, "order_items", ["order_id", "line_no"], "order line") if con.execute(
        "SELECT count(*) FROM src_order_items WHERE line_no IS NULL").fetchall()[0][0] == 0 else None

    # -------------------------------------------------------------- sales lines → orders and items
    say("orders")
    _quarantine_select(con, "sales_lines", "order_id IN (SELECT order_id FROM src_orders)",
                       "'order_id: ' || order_id || ' is also in an order-level sales file'", "order_id")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lines AS SELECT *, coalesce(line_no, row_number() OVER (PARTITION BY order_id
            ORDER BY source_row)) AS ln, quantity * unit_price AS gross_line FROM src_sales_lines""")
    # an invoice whose lines disagree on the customer cannot be assigned: quarantine it
    conflict = con.execute("""SELECT order_id FROM _lines GROUP BY order_id
                              HAVING count(DISTINCT customer_id) > 1""").df()
    if len(conflict):
        con.register("_cf", conflict)
        con.execute("""INSERT INTO quarantine SELECT 'sales_lines', source_file, source_row, 'customer_id',
            'order ' || order_id || ' has lines with different customers', NULL FROM _lines
            WHERE order_id IN (SELECT order_id FROM _cf)""")
        _move_counts(con, "sales_lines", "SELECT source_file, count(*) FROM _lines WHERE order_id IN "
                     "(SELECT order_id FROM _cf) GROUP BY 1")
        con.execute("DELETE FROM _lines WHERE order_id IN (SELECT order_id FROM _cf)")
        con.unregister("_cf")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _line_orders AS
        SELECT order_id, any_value(customer_id) AS customer_id, min(order_ts) AS order_ts,
               any_value(channel) AS channel, any_value(store_id) AS store_id,
               round(sum(gross_line), 2) AS gross_amount, round(sum(coalesce(discount, 0)), 2) AS discount,
               round(sum(gross_line) - sum(coalesce(discount, 0)), 2) AS net_amount,
               CASE WHEN bool_and(quantity < 0) OR any_value(status) = 'returned' THEN 'returned'
                    WHEN any_value(status) = 'cancelled' THEN 'cancelled'
                    WHEN bool_and(quantity > 0) THEN 'completed'
                    ELSE 'mixed' END AS status,
               any_value(original_order_id) AS original_order_id, any_value(source_system) AS source_system,
               min(source_file) AS source_file
        FROM _lines GROUP BY order_id""")
    # invoices mixing sales and returns: the net decides
    con.execute("""UPDATE _line_orders SET status = CASE WHEN net_amount < 0 THEN 'returned' ELSE 'completed' END
                   WHERE status = 'mixed'""")
    con.execute("""UPDATE _line_orders SET gross_amount = -abs(gross_amount), discount = -abs(discount),
                   net_amount = -abs(net_amount) WHERE status = 'returned'""")
    # order-level sources: a returned order = the sale + a return (negative) at the return date
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _all_orders AS
        SELECT order_id, customer_id, order_ts, channel, store_id,
               coalesce(gross_amount, net_amount + coalesce(discount, 0)) AS gross_amount,
               coalesce(discount, coalesce(gross_amount, net_amount) - coalesce(net_amount, gross_amount), 0) AS discount,
               coalesce(net_amount, gross_amount - coalesce(discount, 0)) AS net_amount,
               cost, CASE WHEN coalesce(status, 'completed') = 'returned' AND coalesce(net_amount, gross_amount) >= 0
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
    con.execute("""UPDATE _all_orders SET gross_amount = abs(gross_amount), net_amount = abs(net_amount)
                   WHERE status <> 'returned' AND net_amount < 0""")
    # anonymous sales: no customer id → counted, kept apart, not used for customer analysis
    con.execute("""CREATE OR REPLACE TABLE anonymous_sales AS SELECT order_id, order_ts, channel, store_id, net_amount,
                   status, source_file FROM _all_orders WHERE customer_id IS NULL""")
    con.execute("DELETE FROM _all_orders WHERE customer_id IS NULL")
    # order items from order-level files and from sales lines; lines of unknown (or quarantined) orders go to quarantine
    _quarantine_select(con, "order_items", "order_id NOT IN (SELECT order_id FROM _all_orders UNION ALL "
                       "SELECT order_id FROM anonymous_sales)",
                       "'order_id: line of an unknown or quarantined order ' || order_id", "order_id")
    con.execute("""CREATE OR REPLACE TEMP TABLE _items AS
        SELECT order_id, coalesce(line_no, row_number() OVER (PARTITION BY order_id ORDER BY source_row)) AS line_no,
               product_id, quantity, unit_price, coalesce(discount, 0) AS discount FROM src_order_items
        UNION ALL SELECT order_id, ln, product_id, quantity, unit_price, coalesce(discount, 0) FROM _lines""")
    # -------------------------------------------------------------- customers: clean, stub records, erasures
    say("clean")
    recs = con.execute("SELECT * FROM src_customers").df()
    raw_quality = _clean.quality_report(recs.drop(columns=["source_file", "source_row", "source_system"], errors="ignore"),
                                        "customers", key="customer_id", date_col="signup_date", stage="before cleaning")
    known = set(recs["customer_id"].dropna())
    referenced = con.execute("""SELECT customer_id, min(order_ts) AS first_ts, any_value(source_system) AS sys FROM (
            SELECT customer_id, order_ts, source_system FROM _all_orders
            UNION ALL SELECT customer_id, contact_ts, NULL FROM src_contacts
            UNION ALL SELECT customer_id, updated_at, NULL FROM src_consents WHERE customer_id IS NOT NULL)
        WHERE customer_id IS NOT NULL GROUP BY 1""").df()
    stubs = referenced[~isin(referenced["customer_id"], known)]
    if len(stubs):
        stub = pd.DataFrame({"customer_id": stubs["customer_id"].to_numpy(),
                             "signup_date": pd.to_datetime(stubs["first_ts"]).dt.date,
                             "source_system": stubs["sys"].fillna("sales").replace("", "sales").to_numpy(),
                             "source_file": "(referenced by sales/contacts only)"})
        recs = pd.concat([recs, stub], ignore_index=True)
    recs["source_system"] = recs["source_system"].replace("", None).fillna("main")
    as_of = cfg.analysis_date or today
    recs = _clean.clean_customer_records(recs, region=region, as_of=as_of,
                                         test_patterns=cfg.data.test_email_patterns,
                                         staff_domains=cfg.data.staff_email_domains)
    recs = recs.rename(columns={"customer_id": "record_id"})
    # erasures: people erased earlier never come back
    salt = erasures["salt"]
    erased = set(erasures["keys"])
    if erased:
        keys = pd.DataFrame({"r": [_hash(x, salt) for x in recs["record_id"]],
                             "e": [_hash(x, salt) if isinstance(x, str) else None for x in recs["email"]],
                             "p": [_hash(x, salt) if isinstance(x, str) else None for x in recs["phone"]]})
        gone = keys["r"].isin(erased) | keys["e"].isin(erased) | keys["p"].isin(erased)
        gone_ids = set(recs.loc[gone.to_numpy(), "record_id"])
        recs = recs[~gone.to_numpy()].reset_index(drop=True)
    else:
        gone_ids = set()
    # consent flags on the customer records become consent rows at the record's signup date
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

    # -------------------------------------------------------------- merge/purge
    say("merge/purge")
    linked, scored = _identity.resolve_identities(recs, threshold=cfg.data.match_threshold, con=con,
                                                  return_pairs=True)
    gold = _identity.golden_records(linked, cfg.data.source_priority)
    gold["household_id"] = _identity.assign_households(gold, cfg.data.household_rule).to_numpy()
    person_of = linked.set_index("record_id")["customer_id"]

    # -------------------------------------------------------------- final tables
    say("store")
    for t in ("customers", "customer_records", "products", "area_demographics", "campaigns", "orders",
              "order_items", "consents", "contacts", "responses", "email_events", "sms_events"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
        con.execute(ddl(t))
    cust_cols = [c.name for c in schema.TABLES["customers"]]
    gold = gold.reindex(columns=cust_cols)
    con.register("_gold", gold)
    con.execute(f"INSERT INTO customers SELECT {', '.join(_qi(c) for c in cust_cols)} FROM _gold")
    con.unregister("_gold")
    rec_cols = [c.name for c in schema.TABLES["customer_records"]]
    lk = linked.reindex(columns=rec_cols)
    con.register("_lk", lk)
    con.execute(f"INSERT INTO customer_records SELECT {', '.join(_qi(c) for c in rec_cols)} FROM _lk")
    con.unregister("_lk")
    con.register("_pairs", scored[["i", "j", "score", "probability"]].assign(
        record_i=linked["record_id"].to_numpy()[scored["i"].to_numpy()],
        record_j=linked["record_id"].to_numpy()[scored["j"].to_numpy()]).drop(columns=["i", "j"]))
    con.execute("CREATE OR REPLACE TABLE identity_pairs AS SELECT record_i, record_j, score, probability FROM _pairs")
    con.unregister("_pairs")

    con.execute("INSERT INTO products SELECT product_id, name, category, subcategory, unit_cost, list_price FROM src_products")
    con.execute("""INSERT INTO area_demographics SELECT postal_code, city, households, population, median_income,
                   age_18_34, age_35_54, age_55_plus FROM src_area_demographics""")
    con.execute("""INSERT INTO campaigns SELECT campaign_id, name, channel, offer, start_date, end_date, cost_per_contact,
                   fixed_cost, segment FROM src_campaigns""")

    # orders: map record → person; cost from products where known, else from the gross margin
    con.execute("""CREATE OR REPLACE TEMP TABLE _rec_person AS SELECT record_id, customer_id FROM customer_records""")
    if gone_ids:
        con.register("_gone", pd.DataFrame({"record_id": sorted(gone_ids)}))
        con.execute("DELETE FROM _all_orders WHERE customer_id IN (SELECT record_id FROM _gone)")
        con.execute("DELETE FROM src_contacts WHERE customer_id IN (SELECT record_id FROM _gone)")
        con.execute("DELETE FROM src_responses WHERE customer_id IN (SELECT record_id FROM _gone)")
        con.execute("DELETE FROM src_consents WHERE customer_id IN (SELECT record_id FROM _gone)")
        con.unregister("_gone")
    test_people = set(gold.loc[gold["is_test"], "customer_id"])
    margin = cfg.economics.gross_margin
    con.execute(f"""
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
    if test_people:
        con.register("_tp", pd.DataFrame({"customer_id": sorted(test_people)}))
        con.execute("CREATE OR REPLACE TABLE test_orders AS SELECT * FROM _orders_final WHERE customer_id IN (SELECT customer_id FROM _tp)")
        con.execute("DELETE FROM _orders_final WHERE customer_id IN (SELECT customer_id FROM _tp)")
        con.unregister("_tp")
    else:
        con.execute("CREATE OR REPLACE TABLE test_orders AS SELECT * FROM _orders_final LIMIT 0")
    con.execute("INSERT INTO orders SELECT * FROM _orders_final ORDER BY order_ts")
    con.execute("""INSERT INTO order_items SELECT i.order_id, i.line_no, i.product_id, i.quantity, i.unit_price, i.discount
                   FROM _items i WHERE i.order_id IN (SELECT order_id FROM orders)""")

    # consents: explicit rows (by record or by e-mail) + flags of the customer records; latest wins later
    con.execute("""CREATE OR REPLACE TEMP TABLE _email_person AS
        SELECT email, arg_max(customer_id, signup_date) AS customer_id FROM customer_records
        WHERE email IS NOT NULL GROUP BY email""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _phone_person AS
        SELECT phone, arg_max(customer_id, signup_date) AS customer_id FROM customer_records
        WHERE phone IS NOT NULL GROUP BY phone""")
    cons_src = con.execute("SELECT * FROM src_consents").df()
    if len(cons_src):
        cons_src["email_clean"] = _clean.standardise_emails(cons_src["email"]) if cons_src["email"].notna().any() else None
    con.register("_cs", cons_src if len(cons_src) else pd.DataFrame(columns=["customer_id", "email_clean", "channel",
                                                                            "status", "updated_at", "source_file",
                                                                            "source_row", "source_system"]))
    unmatched = con.execute("""SELECT count(*) FROM _cs c LEFT JOIN _rec_person rp ON rp.record_id = c.customer_id
        LEFT JOIN _email_person ep ON ep.email = c.email_clean WHERE coalesce(rp.customer_id, ep.customer_id) IS NULL""").fetchall()[0][0]
    if unmatched:
        con.execute("""INSERT INTO quarantine SELECT 'consents', c.source_file, c.source_row,
            CASE WHEN c.customer_id IS NULL THEN 'email' ELSE 'customer_id' END,
            'no customer with this ' || CASE WHEN c.customer_id IS NULL THEN 'e-mail address' ELSE 'id' END, NULL
            FROM _cs c LEFT JOIN _rec_person rp ON rp.record_id = c.customer_id
            LEFT JOIN _email_person ep ON ep.email = c.email_clean WHERE coalesce(rp.customer_id, ep.customer_id) IS NULL""")
        _move_counts(con, "consents", """SELECT c.source_file, count(*) FROM _cs c LEFT JOIN _rec_person rp
            ON rp.record_id = c.customer_id LEFT JOIN _email_person ep ON ep.email = c.email_clean
            WHERE coalesce(rp.customer_id, ep.customer_id) IS NULL GROUP BY 1""")
    con.execute("""INSERT INTO consents SELECT coalesce(rp.customer_id, ep.customer_id), c.channel, c.status,
        coalesce(c.updated_at, TIMESTAMP '1900-01-01'), coalesce(c.source_system, c.source_file)
        FROM _cs c LEFT JOIN _rec_person rp ON rp.record_id = c.customer_id
        LEFT JOIN _email_person ep ON ep.email = c.email_clean WHERE coalesce(rp.customer_id, ep.customer_id) IS NOT NULL""")
    con.unregister("_cs")
    if flag_cons:
        fc = pd.concat(flag_cons, ignore_index=True)
        fc["customer_id"] = person_of.reindex(fc["record_id"]).to_numpy()
        fc = fc[fc["customer_id"].notna() & fc["updated_at"].notna()]
        con.register("_fc", fc[["customer_id", "channel", "status", "updated_at", "source"]])
        con.execute("INSERT INTO consents SELECT customer_id, channel, status, updated_at, source FROM _fc")
        con.unregister("_fc")

    # contacts, responses (by record id), message events (by record id, e-mail or phone)
    _map_people(con, "contacts", """SELECT s.campaign_id, rp.customer_id, s.cell, coalesce(s."group", 'treatment'),
        s.contact_ts, s.channel, s.source_file, s.source_row FROM src_contacts s LEFT JOIN _rec_person rp
        ON rp.record_id = s.customer_id""", key=("campaign_id", "customer_id"),
        dup_reason="the same person was contacted twice in one campaign (two records of one person)")
    con.execute("""DELETE FROM _m_contacts WHERE campaign_id NOT IN (SELECT campaign_id FROM campaigns)""")
    con.execute("INSERT INTO contacts SELECT * EXCLUDE (source_file, source_row) FROM _m_contacts")
    _map_people(con, "responses", """SELECT s.campaign_id, rp.customer_id, s.response_ts, s.order_id, s.revenue,
        s.source_file, s.source_row FROM src_responses s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id""")
    con.execute("INSERT INTO responses SELECT * EXCLUDE (source_file, source_row) FROM _m_responses")
    ev = con.execute("SELECT * FROM src_email_events").df()
    ev["email_clean"] = _clean.standardise_emails(ev["email"]) if len(ev) else None
    con.register("_ev", ev if len(ev) else pd.DataFrame(columns=["campaign_id", "customer_id", "email_clean", "event",
                                                                 "event_ts", "source_file", "source_row"]))
    _map_people(con, "email_events", """SELECT s.campaign_id, coalesce(rp.customer_id, ep.customer_id), s.event,
        s.event_ts, s.source_file, s.source_row FROM _ev s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id
        LEFT JOIN _email_person ep ON ep.email = s.email_clean""", what="e-mail address")
    con.execute("INSERT INTO email_events SELECT * EXCLUDE (source_file, source_row) FROM _m_email_events")
    con.unregister("_ev")
    sm = con.execute("SELECT * FROM src_sms_events").df()
    sm["phone_clean"] = _clean.standardise_phones(sm["phone"], region) if len(sm) else None
    con.register("_sm", sm if len(sm) else pd.DataFrame(columns=["campaign_id", "customer_id", "phone_clean", "event",
                                                                 "event_ts", "source_file", "source_row"]))
    _map_people(con, "sms_events", """SELECT s.campaign_id, coalesce(rp.customer_id, pp.customer_id), s.event,
        s.event_ts, s.source_file, s.source_row FROM _sm s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id
        LEFT JOIN _phone_person pp ON pp.phone = s.phone_clean""", what="phone number")
    con.execute("INSERT INTO sms_events SELECT * EXCLUDE (source_file, source_row) FROM _m_sms_events")
    con.unregister("_sm")

    # -------------------------------------------------------------- views and quality
    _views(con)
    after = _clean.quality_report(gold.drop(columns=["n_records"]), "customers", key="customer_id",
                                  date_col="signup_date", stage="after cleaning")
    q = pd.concat([raw_quality, after], ignore_index=True)
    con.register("_q", q)
    con.execute("CREATE OR REPLACE TABLE data_quality AS SELECT * FROM _q")
    con.unregister("_q")
    key_cols = ["first_name", "last_name", "email", "phone", "birth_date", "postal_code", "gender"]
    ll = con.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM load_log").fetchall()[0]
    rep = BuildReport(
        rows_read=int(ll[0] or 0), rows_loaded=int(ll[1] or 0), rows_quarantined=int(ll[2] or 0),
        customers_raw=int(len(recs)), persons=int(gold["customer_id"].nunique()),
        households=int(gold["household_id"].nunique()),
        quality_score_before=round(_clean.quality_score(raw_quality, key_cols), 1),
        quality_score_after=round(_clean.quality_score(after, key_cols), 1),
        anonymous_orders=int(con.execute("SELECT count(*) FROM anonymous_sales").fetchall()[0][0]),
        erased_records=len(gone_ids),
    )
    return rep


def _move_counts(con, table: str, sql: str) -> None:
    for src, k in con.execute(sql).fetchall():
        con.execute("UPDATE load_log SET rows_loaded = rows_loaded - ?, rows_quarantined = rows_quarantined + ? "
                    "WHERE source = ? AND table_name = ?", [k, k, src, table])


def _map_people(con, table: str, select: str, key=None, dup_reason=None, what: str = "id") -> None:
    """Rows keyed by a source record (or e-mail/phone) → rows keyed by person; unknown people are quarantined."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _m_{table} AS {select}")
    cols = [r[0] for r in con.execute(f"DESCRIBE _m_{table}").fetchall()]
    cid = cols[1]
    n = con.execute(f"SELECT count(*) FROM _m_{table} WHERE {_qi(cid)} IS NULL").fetchall()[0][0]
    if n:
        con.execute(f"""INSERT INTO quarantine SELECT '{table}', source_file, source_row, 'customer_id',
            'no customer with this {what}', NULL FROM _m_{table} WHERE {_qi(cid)} IS NULL""")
        _move_counts(con, table, f"SELECT source_file, count(*) FROM _m_{table} WHERE {_qi(cid)} IS NULL GROUP BY 1")
        con.execute(f"DELETE FROM _m_{table} WHERE {_qi(cid)} IS NULL")
    if key:
        k = ", ".join(_qi(cols[0]) if c == "campaign_id" else _qi(cid) for c in key)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_{table}_all AS SELECT *, row_number() OVER (PARTITION BY {k}
            ORDER BY source_file, source_row) AS _rn FROM _m_{table}""")
        if con.execute(f"SELECT count(*) FROM _m_{table}_all WHERE _rn > 1").fetchall()[0][0]:
            con.execute(f"""INSERT INTO quarantine SELECT '{table}', source_file, source_row, 'customer_id',
                '{dup_reason}', NULL FROM _m_{table}_all WHERE _rn > 1""")
            _move_counts(con, table, f"SELECT source_file, count(*) FROM _m_{table}_all WHERE _rn > 1 GROUP BY 1")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _m_{table} AS SELECT * EXCLUDE (_rn) FROM _m_{table}_all WHERE _rn = 1")
        con.execute(f"DROP TABLE _m_{table}_all")


def _views(con) -> None:
    con.execute("""
        CREATE OR REPLACE VIEW consent_latest AS
        SELECT customer_id, channel, arg_max(status, updated_at) AS status, max(updated_at) AS updated_at
        FROM consents GROUP BY customer_id, channel;

        CREATE OR REPLACE VIEW purchases AS
        SELECT * FROM orders WHERE status = 'completed';

        CREATE OR REPLACE VIEW sales AS
        SELECT * FROM orders WHERE status <> 'cancelled';

        CREATE OR REPLACE VIEW customer_view AS
        SELECT c.*, a.households AS area_households, a.population AS area_population,
               a.median_income AS area_median_income,
               s.first_purchase, s.last_purchase, coalesce(s.orders, 0) AS orders, coalesce(s.revenue, 0) AS revenue,
               coalesce(s.margin, 0) AS margin, s.channels,
               (SELECT status FROM consent_latest cl WHERE cl.customer_id = c.customer_id AND cl.channel = 'email') AS email_consent,
               (SELECT status FROM consent_latest cl WHERE cl.customer_id = c.customer_id AND cl.channel = 'sms') AS sms_consent,
               (SELECT status FROM consent_latest cl WHERE cl.customer_id = c.customer_id AND cl.channel = 'phone') AS phone_consent,
               (SELECT status FROM consent_latest cl WHERE cl.customer_id = c.customer_id AND cl.channel = 'mail') AS mail_consent
        FROM customers c
        LEFT JOIN area_demographics a USING (postal_code)
        LEFT JOIN (SELECT customer_id, min(order_ts) FILTER (WHERE status = 'completed') AS first_purchase,
                          max(order_ts) FILTER (WHERE status = 'completed') AS last_purchase,
                          count(*) FILTER (WHERE status = 'completed') AS orders,
                          sum(net_amount) FILTER (WHERE status <> 'cancelled') AS revenue,
                          sum(net_amount - cost) FILTER (WHERE status <> 'cancelled') AS margin,
                          count(DISTINCT channel) FILTER (WHERE status = 'completed') AS channels
                   FROM orders GROUP BY 1) s USING (customer_id);
    """)


def _meta(con, cfg: ClientConfig, report: BuildReport) -> None:
    last = con.execute("SELECT max(order_ts) FROM orders WHERE status = 'completed'").fetchall()[0][0]
    as_of = cfg.analysis_date or (last.date() if last else dt.date.today())
    meta = {"schema_version": SCHEMA_VERSION, "built_at": dt.datetime.now().isoformat(timespec="seconds"),
            "client": cfg.client, "as_of": str(as_of), "report": json.dumps(report, default=str)}
    con.execute("CREATE OR REPLACE TABLE _meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany("INSERT INTO _meta VALUES (?, ?)", [[k, str(v)] for k, v in meta.items()])
    con.execute("CREATE TABLE IF NOT EXISTS audit_log (ts TIMESTAMP, action VARCHAR, subject_token VARCHAR, detail VARCHAR)")


# ------------------------------------------------------------------------------------------------ protect
CONTACT_FIELD = {"email": "email", "sms": "phone", "phone": "phone", "mail": "street"}


def latest_consents(con, as_of=None) -> pd.DataFrame:
    """Latest consent status per customer and channel (as of a date: later changes are ignored)."""
    where = "WHERE updated_at <= ?" if as_of is not None else ""
    params = [pd.Timestamp(as_of) + pd.Timedelta(days=1)] if as_of is not None else []
    return con.execute(f"""SELECT customer_id, channel, arg_max(status, updated_at) AS status, max(updated_at) AS updated_at
        FROM consents {where} GROUP BY 1, 2""", params).df()


def suppression_list(con, channel: str, as_of=None) -> pd.DataFrame:
    """Everyone who must not be contacted on ``channel``, with the reason (one row per customer and reason).

    Reasons: no opt-in / opted out for the channel (latest status wins), no valid contact detail for the channel,
    deceased, gone away (mail), test account, staff, e-mail bounced or complained (e-mail), SMS failed (sms).

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
    field = CONTACT_FIELD[channel]
    ts = pd.Timestamp(as_of) + pd.Timedelta(days=1) if as_of is not None else pd.Timestamp("2999-01-01")
    parts = [
        f"""SELECT c.customer_id, 'not opted in' AS reason FROM customers c LEFT JOIN (
              SELECT customer_id, arg_max(status, updated_at) AS status FROM consents
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
        parts.append("SELECT DISTINCT customer_id, 'e-mail bounced' FROM email_events WHERE event = 'bounced' AND event_ts < $ts")
        parts.append("SELECT DISTINCT customer_id, 'complained (spam report)' FROM email_events WHERE event = 'complained' AND event_ts < $ts")
        parts.append("SELECT DISTINCT customer_id, 'unsubscribed' FROM email_events WHERE event = 'unsubscribed' AND event_ts < $ts")
    if channel == "sms" and "sms_events" in tables:
        parts.append("SELECT DISTINCT customer_id, 'SMS undeliverable' FROM sms_events WHERE event = 'bounced' AND event_ts < $ts")
        parts.append("SELECT DISTINCT customer_id, 'unsubscribed' FROM sms_events WHERE event = 'unsubscribed' AND event_ts < $ts")
    sql = " UNION ".join(parts)
    return con.execute(f"SELECT customer_id, reason FROM ({sql}) ORDER BY customer_id, reason", {"ts": ts}).df()


PERSON_TABLES = ["consents", "contacts", "responses", "email_events", "sms_events", "order_items", "orders",
                 "test_orders", "customer_records", "customers"]


def erase_customer(con, customer_id: str, workdir: str | Path, reason: str = "erasure request") -> dict:
    """Right to erasure (删除权): remove a person from every table now and from every later build.

    Orders are kept for the accounts as anonymous sales (no customer id). The person's record ids, e-mails and
    phones are remembered only as salted hashes in ``<workdir>/erasures.json`` so a rebuild drops them again, and
    the audit log gets an entry with a token, never the id or personal data. Derived analysis tables lose the row too.

    Returns counts of rows removed per table.
    """
    ers = load_erasures(Path(workdir))
    salt = ers["salt"]
    recs = con.execute("SELECT record_id, email, phone FROM customer_records WHERE customer_id = ?", [customer_id]).df()
    gold = con.execute("SELECT email, phone FROM customers WHERE customer_id = ?", [customer_id]).df()
    if recs.empty and gold.empty:
        raise KeyError(f"no customer {customer_id!r} in the database")
    keys = set()
    for v in list(recs["record_id"]) + list(recs["email"]) + list(recs["phone"]) + list(gold["email"]) + list(gold["phone"]):
        if isinstance(v, str) and v:
            keys.add(_hash(v, salt))
    removed = {}
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type='BASE TABLE'").fetchall()}
    con.execute("BEGIN TRANSACTION")
    try:
        if "anonymous_sales" in tables:
            con.execute("""INSERT INTO anonymous_sales SELECT order_id, order_ts, channel, store_id, net_amount, status,
                           'erased customer' FROM orders WHERE customer_id = ?""", [customer_id])
        # every other table that has a customer_id column (analysis tables, contact history, exports)
        others = [t for t in tables if t not in PERSON_TABLES and t != "identity_pairs" and "customer_id" in
                  {r[0] for r in con.execute(f"DESCRIBE {_qi(t)}").fetchall()}]
        for t in others + PERSON_TABLES:
            if t not in tables:
                continue
            if t == "order_items":
                n = con.execute("DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM orders WHERE customer_id = ?)",
                                [customer_id]).fetchall()[0][0]
            else:
                n = con.execute(f"DELETE FROM {_qi(t)} WHERE customer_id = ?", [customer_id]).fetchall()[0][0]
            removed[t] = int(n)
        if "identity_pairs" in tables and len(recs):
            con.register("_er", recs[["record_id"]])
            n = con.execute("DELETE FROM identity_pairs WHERE record_i IN (SELECT record_id FROM _er) "
                            "OR record_j IN (SELECT record_id FROM _er)").fetchall()[0][0]
            con.unregister("_er")
            removed["identity_pairs"] = int(n)
        con.execute("CREATE TABLE IF NOT EXISTS audit_log (ts TIMESTAMP, action VARCHAR, subject_token VARCHAR, detail VARCHAR)")
        token = _hash(customer_id, salt)[:12]
        con.execute("INSERT INTO audit_log VALUES (now(), 'erase', ?, ?)",
                    [token, json.dumps({"reason": reason, "rows": removed})])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    ers["keys"] = sorted(set(ers["keys"]) | keys)
    ers["log"].append({"ts": dt.datetime.now().isoformat(timespec="seconds"), "token": token, "reason": reason})
    p = _erasure_file(Path(workdir))
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(ers, indent=1), encoding="utf-8")
    return removed


DIRECT_IDENTIFIERS = ["first_name", "last_name", "full_name", "email", "phone", "street", "birth_date"]


def pseudonymise(df: pd.DataFrame, salt: str, id_columns=("customer_id", "household_id", "record_id"),
                 drop=DIRECT_IDENTIFIERS) -> pd.DataFrame:
    """An analysis extract without direct identifiers: ids replaced by salted SHA-256 tokens (the same id gives
    the same token with the same salt, so tables still join), names/e-mails/phones/streets dropped, birth date
    reduced to birth year.

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


def stale_customers(con, as_of, years: float = 7.0) -> pd.DataFrame:
    """Customers with no purchase, contact, consent change or sign-up in the last ``years`` (retention rule)."""
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=365.25 * years)
    return con.execute("""
        SELECT c.customer_id, greatest(coalesce(max(o.order_ts), TIMESTAMP '1900-01-01'),
               coalesce(max(k.updated_at), TIMESTAMP '1900-01-01'), coalesce(CAST(c.signup_date AS TIMESTAMP), TIMESTAMP '1900-01-01'))
               AS last_activity
        FROM customers c LEFT JOIN orders o USING (customer_id) LEFT JOIN consents k USING (customer_id)
        GROUP BY c.customer_id, c.signup_date HAVING last_activity < ?
        ORDER BY last_activity""", [cutoff]).df()


def apply_retention(con, as_of, workdir, years: float = 7.0) -> int:
    """Erase every stale customer (see ``stale_customers``); returns how many were erased."""
    stale = stale_customers(con, as_of, years)
    for cid in stale["customer_id"]:
        erase_customer(con, cid, workdir, reason=f"retention: inactive for {years} years")
    return len(stale)


def enrich_customers(customers: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Data append (附加数据): add postal-area demographics (households, population, median income, age mix)."""
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
    "quarantine": "rows that could not be loaded, with the reason",
    "load_log": "rows read / loaded / quarantined per source",
}


def table_overview(ws_or_con) -> pd.DataFrame:
    """The database's main tables with their row counts and what they hold."""
    if hasattr(ws_or_con, "connect"):
        with ws_or_con.connect() as con:
            counts = table_counts(con)
    else:
        counts = table_counts(ws_or_con)
    rows = [dict(table=t, rows=counts[t], holds=note) for t, note in TABLE_NOTES.items() if t in counts]
    return pd.DataFrame(rows)
