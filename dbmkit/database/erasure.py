"""Right to erasure, pseudonymisation and retention (删除权、假名化与保留期限): protecting the people in the database.

``erase_customer`` removes a person (or a list of persons) from every table now and — through the workspace's
privacy memory ``<workdir>/erasures.json`` (``load_erasures``: salts and salted hashes of the erased people's record
ids, e-mails and phones, never the values) — from every later build: ``withhold_erased_records`` keeps their source
records out, the build's store steps quarantine their orders, consents, contacts and events without their values,
and ``scrub_raw`` withholds the raw values of quarantined rows that mention them. The audit log gets one entry
per person with a salted token, never the id or personal data.

``pseudonymise`` / ``pseudonymised_extract`` make analysis extracts without direct identifiers (salted tokens by
:func:`dbmkit.privacy.salted_hash`); ``stale_customers`` / ``apply_retention`` are the retention rule (erase who has
shown no activity for years).

>>> import tempfile
>>> data = load_erasures(tempfile.mkdtemp())
>>> data["keys"], data["log"]
([], [])
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .. import clean as _clean
from ..privacy import salted_hash
from .rules import quarantine_frame
from .store import AUDIT_LOG_DDL, base_tables, connect, connection_of, quote_name

__all__ = ["ERASED", "PERSON_TABLES", "DIRECT_IDENTIFIERS", "privacy_file", "load_erasures", "save_erasures",
           "erasure_keys", "row_tokens", "hitting_tokens", "row_mentions", "scrub_raw", "withhold_erased_records",
           "erase_customer", "pseudonymise", "pseudonymised_extract", "stale_customers", "apply_retention"]

ERASED = "erased person (right to erasure): row withheld"
PERSON_TABLES = ["consents", "contacts", "responses", "email_events", "sms_events", "order_items", "orders",
                 "test_orders", "customer_records", "customers"]
DIRECT_IDENTIFIERS = ["first_name", "last_name", "full_name", "email", "phone", "street", "birth_date"]


# ------------------------------------------------------------------------------------------------ privacy memory
def privacy_file(workdir: str | Path) -> Path:
    """Where a workspace keeps its privacy memory (``<workdir>/erasures.json``).

    >>> privacy_file("work/demo").name
    'erasures.json'
    """
    return Path(workdir) / "erasures.json"


def load_erasures(workdir: str | Path) -> dict:
    """The workspace's privacy memory: salts, hashed keys of erased people, the erasure log (no personal data).

    >>> import tempfile
    >>> sorted(load_erasures(tempfile.mkdtemp()))
    ['extract_salt', 'keys', 'log', 'salt']
    """
    p = privacy_file(Path(workdir))
    data = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
    data.setdefault("salt", hashlib.sha256(os.urandom(16)).hexdigest()[:16])
    data.setdefault("extract_salt", hashlib.sha256(os.urandom(16)).hexdigest()[:16])
    data.setdefault("keys", [])
    data.setdefault("log", [])
    return data


def save_erasures(workdir: str | Path, data: dict) -> None:
    """Write the privacy memory (atomically: a half-written file never replaces the old one).

    >>> import tempfile
    >>> d = tempfile.mkdtemp(); save_erasures(d, {"salt": "s", "extract_salt": "e", "keys": ["k"], "log": []})
    >>> load_erasures(d)["keys"]
    ['k']
    """
    p = privacy_file(Path(workdir))
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, p)


def erasure_keys(values, salt: str, region: str = "US") -> set[str]:
    """Hashed keys of identifiers: record ids, e-mails (as written and standardised), phones (E.164).

    >>> erasure_keys(["+12125550142"], "s") <= erasure_keys(["(212) 555-0142"], "s")
    True
    """
    keys = set()
    vals = [v for v in values if isinstance(v, str) and v.strip()]
    for v in vals:
        keys.add(salted_hash(v.strip(), salt))
        keys.add(salted_hash(v.strip().lower(), salt))
    if vals:
        phones = _clean.standardise_phones(pd.Series(vals), region)
        keys |= {salted_hash(p, salt) for p in phones if isinstance(p, str)}
    return keys


_TOKEN = re.compile(r"[^\s,;|\t\"{}\[\]]+")


def row_tokens(text: str) -> set[str]:
    """The candidate identifiers of a raw row (JSON or CSV text): its tokens, its JSON values and the part after
    a ``key:`` prefix.

    >>> sorted(row_tokens('email:ann@x.com,R1') & {"ann@x.com", "R1"}), "R 2" in row_tokens('{"id": "R 2"}')
    (['R1', 'ann@x.com'], True)
    """
    toks = set(_TOKEN.findall(text))
    vals = set()
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            vals = {str(v) for v in obj.values() if v is not None}
    except (ValueError, TypeError):
        pass
    return toks | vals | {t.split(":", 1)[1] for t in toks if ":" in t}


def hitting_tokens(tokens, erased: set[str], salt: str, region: str = "US") -> set[str]:
    """The tokens whose erasure keys (``erasure_keys`` of the token alone) meet ``erased`` — all tokens in one
    batch, so the phone standardisation runs once instead of once per row.

    >>> hitting_tokens(["ANN@x.com", "bob@x.com"], erasure_keys(["ann@x.com"], "s"), "s")
    {'ANN@x.com'}
    """
    vals = [v for v in tokens if isinstance(v, str) and v.strip()]
    if not vals or not erased:
        return set()
    phones = _clean.standardise_phones(pd.Series(vals, dtype=object), region)
    hit = set()
    for v, p in zip(vals, phones):
        w = v.strip()
        if salted_hash(w, salt) in erased or salted_hash(w.lower(), salt) in erased or \
                (isinstance(p, str) and salted_hash(p, salt) in erased):
            hit.add(v)
    return hit


def row_mentions(text: str, erased: set[str], salt: str, region: str) -> bool:
    """Does a raw row (JSON or CSV text) mention an erased identifier?

    >>> row_mentions("a,b,212.555.0142", erasure_keys(["(212) 555-0142"], "s", "US"), "s", "US")
    True
    """
    return bool(erasure_keys(row_tokens(text), salt, region) & erased)


def scrub_raw(con, erased: set[str], salt: str, region: str) -> int:
    """Withhold the raw values of quarantined rows and value issues that mention an erased person; returns how
    many rows lost their raw values."""
    if not erased:
        return 0
    n = 0
    for table, col, key in (("quarantine", "raw_values", "reason"), ("value_issues", "raw_value", "problem")):
        if table not in base_tables(con):
            continue
        df = con.execute(f"SELECT rowid AS rid, {col} AS raw FROM {table} WHERE {col} IS NOT NULL").df()
        tokens = [row_tokens(str(raw)) for raw in df["raw"]]         # the same test as row_mentions, batched
        hitting = hitting_tokens(sorted(set().union(*tokens)) if tokens else [], erased, salt, region)
        hit = [int(r) for r, toks in zip(df["rid"], tokens) if not toks.isdisjoint(hitting)]
        if hit:
            con.register("_hit", pd.DataFrame({"rid": hit}))
            con.execute(f"UPDATE {table} SET {col} = NULL, {key} = {key} || ' [raw values withheld: erased person]' "
                        f"WHERE rowid IN (SELECT rid FROM _hit)")
            con.unregister("_hit")
            n += len(hit)
    return n


def withhold_erased_records(con, recs: pd.DataFrame, erasures: dict, region: str) -> tuple[pd.DataFrame, set]:
    """The build's guard against erased people coming back: the cleaned source customer records (``record_id``,
    ``email``, ``phone``, ``_raw_email``) that match the privacy memory go to quarantine without their values.

    Returns the remaining records and the erased record ids, and leaves the temp tables ``_erased_records``
    (record ids) and ``_erased_emails`` (their e-mails, cleaned and as written) for the store steps, which withhold
    the people's orders, consents, contacts and events."""
    erased = set(erasures["keys"])
    erased_ids: set[str] = set()
    if erased:
        salt = erasures["salt"]
        cols = [recs["record_id"], recs["email"], recs["phone"], recs["_raw_email"]]
        values = {v for c in cols for v in c if isinstance(v, str)}       # every value tested once, in one batch
        hitting = hitting_tokens(sorted(values), erased, salt, region)
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
                quarantine_frame(con, "_qe")
                con.unregister("_qe")
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


# ------------------------------------------------------------------------------------------------ erasure
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
    >>> from dbmkit.database import Sandbox
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
        keys = erasure_keys(list(recs["record_id"]) + list(recs["email"]) + list(recs["phone"]) +
                            list(gold["email"]) + list(gold["phone"]), salt, region)
        # 1. remember the erasure first (hashes only): even an interrupted erasure keeps the people out of rebuilds
        tokens = [salted_hash(c, salt)[:12] for c in ids]
        now = dt.datetime.now().isoformat(timespec="seconds")
        ers["keys"] = sorted(set(ers["keys"]) | keys)
        ers["log"] += [{"ts": now, "token": tk, "reason": reason} for tk in tokens]
        save_erasures(Path(workdir), ers)
        # 2. delete: rows that refer to the people, then their orders, then the people (DuckDB checks foreign keys
        # against the state at the start of a transaction, so each level is its own transaction)
        removed: dict[str, int] = {}
        tables = base_tables(con)
        cols = {t: {r[0] for r in con.execute(f"DESCRIBE {quote_name(t)}").fetchall()} for t in tables}
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
                        sql = f"DELETE FROM {quote_name(t)} WHERE CAST(customer_id AS VARCHAR) IN {who}"
                    removed[t] = int(con.execute(sql).fetchall()[0][0])
                if level is first:
                    if "identity_pairs" in tables and len(recs):
                        con.register("_er", recs[["record_id"]])
                        removed["identity_pairs"] = int(con.execute(
                            "DELETE FROM identity_pairs WHERE record_i IN (SELECT record_id FROM _er) "
                            "OR record_j IN (SELECT record_id FROM _er)").fetchall()[0][0])
                        con.unregister("_er")
                    removed["quarantine_scrubbed"] = scrub_raw(con, keys, salt, region)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        # 3. the audit entries: a salted token per person and the counts, never the id or personal data
        con.execute(AUDIT_LOG_DDL)
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


# ------------------------------------------------------------------------------------------------ pseudonymisation
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
            out[c] = [None if not isinstance(v, str) else "T" + salted_hash(v, salt)[:15] for v in out[c]]
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
    if not privacy_file(ws.workdir).exists():
        save_erasures(ws.workdir, load_erasures(ws.workdir))
    return pseudonymise(ws.sql(query), salt)


# ------------------------------------------------------------------------------------------------ retention
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
    con, close = connection_of(con)
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
    >>> from dbmkit.database import Sandbox
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
