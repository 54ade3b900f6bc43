"""Right to erasure, pseudonymisation and retention (删除权、假名化与保留期限): protecting the people in the database.

``erase_customer`` removes a person (or a list of persons) from every table now and — through the privacy memory —
from every later build: the client's erasure ledger (:mod:`dbmkit.database.ledger`, beside the client's config,
shared by every work folder of the client) and the workspace's own memory ``<workdir>/erasures.json``
(``load_erasures``: salts and salted hashes of the erased people's record ids, e-mails and phones, never the
values). ``erase_identifier`` is ``dbmkit erase``: a person found by customer id, e-mail or phone. At a build,
``erased_record_mask`` finds the source records that match a memory, the build withholds every record of the
persons they belong to (``withhold_records``: quarantined without their values), its store steps quarantine their
orders, consents, contacts and events the same way, and ``scrub_raw`` withholds the raw values of quarantined rows
that mention them. ``apply_ledger`` applies erasures made in another work folder before an export. The audit log
gets one entry per person with a salted token, never the id or personal data.

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
from ..privacy import mask_pii, salted_hash
from . import ledger as _ledger
from .rules import quarantine_frame
from .store import AUDIT_LOG_DDL, base_tables, connect, connection_of, quote_name

__all__ = ["ERASED", "PERSON_TABLES", "DIRECT_IDENTIFIERS", "privacy_file", "load_erasures", "save_erasures",
           "erasure_keys", "row_tokens", "hitting_tokens", "row_mentions", "scrub_raw", "withhold_erased_records",
           "erasure_key_sets", "erased_values", "erased_record_mask", "withhold_records", "import_workdir_memory",
           "erase_customer", "find_persons", "erase_identifier", "apply_ledger",
           "pseudonymise", "pseudonymised_extract", "stale_customers", "apply_retention"]

ERASED = "erased person (right to erasure): row withheld"
PERSON_TABLES = ["consents", "contacts", "responses", "email_events", "sms_events", "order_items", "orders",
                 "test_orders", "customer_records", "customers"]
DIRECT_IDENTIFIERS = ["first_name", "last_name", "full_name", "email", "phone", "street", "birth_date",
                      "wechat_openid", "push_token"]


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


def scrub_raw(con, erased, salt: str | None = None, region: str = "US") -> int:
    """Withhold the raw values of quarantined rows and value issues that mention an erased person; returns how
    many rows lost their raw values. ``erased`` is a set of hashed keys made with ``salt``, or (``salt`` None) a
    list of (salt, keys) memories (``erasure_key_sets``)."""
    sets = [(s, k) for s, k in (erased if salt is None else [(salt, erased)]) if k]
    if not sets:
        return 0
    n = 0
    for table, col, key in (("quarantine", "raw_values", "reason"), ("value_issues", "raw_value", "problem")):
        if table not in base_tables(con):
            continue
        df = con.execute(f"SELECT rowid AS rid, {col} AS raw FROM {table} WHERE {col} IS NOT NULL").df()
        tokens = [row_tokens(str(raw)) for raw in df["raw"]]         # the same test as row_mentions, batched
        hitting = erased_values(set().union(*tokens) if tokens else set(), sets, region)
        hit = [int(r) for r, toks in zip(df["rid"], tokens) if not toks.isdisjoint(hitting)]
        if hit:
            con.register("_hit", pd.DataFrame({"rid": hit}))
            con.execute(f"UPDATE {table} SET {col} = NULL, {key} = {key} || ' [raw values withheld: erased person]' "
                        f"WHERE rowid IN (SELECT rid FROM _hit)")
            con.unregister("_hit")
            n += len(hit)
    return n


def erasure_key_sets(workdir: str | Path, ledger: str | Path | None = None, client: str | None = None):
    """The memories a build of ``workdir`` applies — the client's erasure ledger (its own keys and those it
    imported) and the workspace's own ``erasures.json`` — as a list of (salt, hashed keys), and the ledger's digest
    (stored with the build).

    >>> import tempfile
    >>> sets, digest = erasure_key_sets(tempfile.mkdtemp())
    >>> [len(k) for _, k in sets], digest
    ([0], 'none')
    """
    mem = load_erasures(workdir)
    sets = [(mem["salt"], frozenset(mem["keys"]))]
    if ledger is None:
        return sets, _ledger.NO_LEDGER
    led = _ledger.load_ledger(ledger, client)
    return _ledger.key_sets(led) + sets, _ledger.digest_of(led)


def erased_values(values, sets, region: str = "US") -> set[str]:
    """The values (record ids, e-mails, phones, raw tokens) whose hashed keys are in one of the memories ``sets``
    (list of (salt, keys)).

    >>> erased_values(["ANN@x.com", "bob@x.com"], [("s", erasure_keys(["ann@x.com"], "s"))])
    {'ANN@x.com'}
    """
    vals = sorted({v for v in values if isinstance(v, str) and v.strip()})
    hit: set[str] = set()
    for salt, keys in sets:
        if keys:
            hit |= hitting_tokens(vals, set(keys), salt, region)
    return hit


def erased_record_mask(recs: pd.DataFrame, sets, region: str = "US") -> np.ndarray:
    """Which cleaned source customer records (``record_id``, ``email``, ``phone``, ``_raw_email``, the WeChat openid
    and push token) match one of the
    memories ``sets`` (every value tested once, in one batch).

    >>> recs = pd.DataFrame({"record_id": ["R1", "R2"], "email": ["ann@x.com", None], "phone": [None, None],
    ...                      "_raw_email": ["ann@x.com", None]})
    >>> erased_record_mask(recs, [("s", erasure_keys(["R2"], "s"))]).tolist()
    [False, True]
    """
    cols = [c for c in ("record_id", "email", "phone", "_raw_email", "wechat_openid", "push_token")
            if c in recs.columns]
    hitting = erased_values({v for c in cols for v in recs[c]}, sets, region)
    mask = np.zeros(len(recs), dtype=bool)
    if hitting:
        for c in cols:
            mask |= recs[c].astype(object).isin(sorted(hitting)).to_numpy(dtype=bool)   # few values
    return mask


def withhold_records(con, recs: pd.DataFrame, gone: np.ndarray) -> tuple[pd.DataFrame, set]:
    """Withhold the records marked ``gone`` (erased people): their source rows go to quarantine without their
    values. Returns the remaining records and the withheld record ids, and leaves the temp tables
    ``_erased_records`` (record ids) and ``_erased_emails`` (their e-mails, cleaned and as written) for the store
    steps, which withhold the people's orders, consents, contacts and events."""
    gone = np.asarray(gone, dtype=bool)
    erased_ids: set[str] = set()
    emails: set[str] = set()
    if gone.any():
        out = recs[gone]
        erased_ids = set(out["record_id"])
        real = out[out["source_row"].notna()] if "source_row" in out.columns else out.iloc[:0]
        if len(real):
            q = pd.DataFrame({"table_name": "customers", "source": real["source_file"],
                              "source_row": real["source_row"].astype("int64"), "column_name": "customer_id",
                              "reason": ERASED, "raw_values": None})
            con.register("_qe", q)
            quarantine_frame(con, "_qe")
            con.unregister("_qe")
        emails = {x for c in ("email", "_raw_email") if c in out.columns for x in out[c].dropna()}
        recs = recs[~gone].reset_index(drop=True)
    con.register("_er", pd.DataFrame({"record_id": sorted(erased_ids)}, dtype=object))
    con.execute("CREATE OR REPLACE TEMP TABLE _erased_records AS "
                "SELECT CAST(record_id AS VARCHAR) AS record_id FROM _er")
    con.unregister("_er")
    con.register("_ee", pd.DataFrame({"email": sorted(emails)}, dtype=object))
    con.execute("CREATE OR REPLACE TEMP TABLE _erased_emails AS SELECT CAST(email AS VARCHAR) AS email FROM _ee")
    con.unregister("_ee")
    return recs, erased_ids


def withhold_erased_records(con, recs: pd.DataFrame, erasures, region: str) -> tuple[pd.DataFrame, set]:
    """The records that match the privacy memory (``erasures``: a workspace memory from ``load_erasures``, or a
    list of (salt, keys)) go to quarantine without their values (``erased_record_mask`` + ``withhold_records``).
    The build itself withholds every record of the persons such records belong to."""
    sets = [(erasures["salt"], frozenset(erasures["keys"]))] if isinstance(erasures, dict) else erasures
    return withhold_records(con, recs, erased_record_mask(recs, sets, region))


# ------------------------------------------------------------------------------------------------ erasure
def erase_customer(con, customer_id, workdir: str | Path | None = None, reason: str = "erasure request",
                   ledger: str | Path | None = None, also=(), log: bool = True) -> dict:
    """Right to erasure (删除权 / GDPR art. 17): remove a person (or a list of persons) from every table now and from
    every later build.

    ``con`` is a Workspace or Sandbox (then ``workdir`` is its folder, and a Workspace's ``ledger`` the client's
    erasure ledger) or a writable connection with ``workdir`` (and, optionally, ``ledger``). Orders stay in the
    accounts as anonymous sales (no customer id). Every table with a ``customer_id`` column loses the person's
    rows — analysis tables and campaign lists too —, quarantined rows mentioning the person lose their raw values,
    and the person's record ids, e-mails and phones (and the identifiers in ``also``) are remembered only as salted
    hashes — in ``<workdir>/erasures.json`` and in the client's erasure ledger, so a rebuild in any work folder of
    the client keeps them out. The audit log (and, with ``log``, the ledger's log) gets one entry per person with a
    salted token, never the id or personal data. A Sandbox has no ledger: erasures tried there stay there.
    Returns the rows removed per table.

    >>> import os, tempfile
    >>> from dbmkit.database import Sandbox
    >>> from dbmkit.client_workspace import workspace
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
        ledger = ledger if ledger is not None else getattr(con, "ledger_path", None)
        client = getattr(getattr(con, "cfg", None), "client", None)
        c = connect(con.db_path, read_only=False)
        try:
            return _erase(c, customer_id, workdir, reason, ledger, also, log, client)
        finally:
            c.close()
    return _erase(con, customer_id, workdir, reason, ledger, also, log, None)


def _erase(con, customer_id, workdir, reason, ledger, also, log, client) -> dict:
    if workdir is None:
        raise ValueError("give the workspace folder (workdir) so the erasure survives a rebuild")
    ids = [customer_id] if isinstance(customer_id, str) else [str(x) for x in customer_id]
    if not ids:
        return {}
    ers = load_erasures(Path(workdir))
    salt = ers["salt"]
    region = _region_of(con)
    reason = mask_pii(str(reason))[0]
    con.register("_erase_ids", pd.DataFrame({"customer_id": ids}, dtype=object))
    try:
        recs = con.execute("SELECT customer_id, record_id, email, phone, wechat_openid, push_token FROM "
                           "customer_records WHERE customer_id IN (SELECT customer_id FROM _erase_ids)").df()
        gold = con.execute("SELECT customer_id, email, phone, wechat_openid, push_token FROM customers WHERE "
                           "customer_id IN (SELECT customer_id FROM _erase_ids)").df()
        missing = sorted(set(ids) - set(gold["customer_id"]))
        if missing:
            raise KeyError(f"no customer {missing[0]!r} in the database" + (f" (and {len(missing) - 1} more)"
                                                                            if len(missing) > 1 else ""))
        values = {c: list(also) for c in ids}                # per person: every id, e-mail and phone they have
        for df, cols in ((recs, ("record_id", "email", "phone", "wechat_openid", "push_token")),
                         (gold, ("email", "phone", "wechat_openid", "push_token"))):
            for row in df.itertuples(index=False):
                values[row.customer_id] += [getattr(row, c) for c in cols]
        keys = erasure_keys([v for vs in values.values() for v in vs], salt, region)
        # 1. remember the erasure first (hashes only): even an interrupted erasure keeps the people out of rebuilds
        # — in the client's ledger (with what this work folder remembered before), then in the work folder's memory
        if ledger is not None:
            _remember_in_ledger(con, ledger, client, values, reason, region, ers, workdir, log)
            ers["in_ledger"] = sorted(set(ers.get("in_ledger", [])) | keys)      # nothing left to import later
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
                        sql = ("DELETE FROM order_items WHERE order_id IN "
                               f"(SELECT order_id FROM orders WHERE customer_id IN {who})")
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
                        if "customer_links" in tables:      # the known id links naming the person's records
                            removed["customer_links"] = int(con.execute(
                                "DELETE FROM customer_links WHERE record_a IN (SELECT record_id FROM _er) "
                                "OR record_b IN (SELECT record_id FROM _er)").fetchall()[0][0])
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


def import_workdir_memory(ledger: str | Path, workdir: str | Path, client: str | None = None) -> int:
    """Bring the erasures remembered by a work folder (``erasures.json``, from before the client had a ledger) into
    the client's ledger, so they count in every work folder; returns how many keys were new (the ledger is not
    written when there are none).

    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); save_erasures(d, {"salt": "s", "extract_salt": "e", "keys": ["k1"], "log": []})
    >>> led = os.path.join(d, "acme.erasures.json")
    >>> import_workdir_memory(led, d), import_workdir_memory(led, d)
    (1, 0)
    """
    mem = load_erasures(workdir)
    todo = set(mem["keys"]) - set(mem.get("in_ledger", []))
    if not todo:
        return 0
    if Path(ledger).exists():
        known = {m["salt"]: set(m["keys"]) for m in _ledger.load_ledger(ledger, client)["imported"]}
        if todo <= known.get(mem["salt"], set()):
            return 0
    with _ledger.updating(ledger, client) as led:
        return _ledger.import_memory(led, mem, str(workdir))


def _remember_in_ledger(con, ledger, client, values: dict, reason: str, region: str, memory: dict, workdir,
                        log: bool) -> None:
    """Write the persons' hashed identifiers into the client's ledger (one log entry per person), with what the
    work folder's own ``memory`` held before; a database that had applied the ledger up to now is marked as having
    applied the new state too (this erasure is applied in place)."""
    before = _ledger.ledger_digest(ledger)
    with _ledger.updating(ledger, client) as led:
        _ledger.import_memory(led, memory, str(workdir))
        for person, vals in values.items():
            _ledger.add_keys(led, vals, token_of=person, reason=reason, region=region, how="erase_customer", log=log)
    _mark_applied(con, before, _ledger.ledger_digest(ledger))


def _mark_applied(con, before: str | None, after: str) -> None:
    """Record in ``_meta`` that the database has applied the ledger state ``after`` (only if it had applied
    ``before``; ``before`` None: unconditionally)."""
    try:
        cond = "" if before is None else " AND value = ?"
        con.execute(f"UPDATE _meta SET value = ? WHERE key = 'erasure_ledger'{cond}",
                    [after] if before is None else [after, before])
    except duckdb.Error:
        pass                            # not a built database (a bare test connection)


def find_persons(con, customer_id: str | None = None, email: str | None = None, phone: str | None = None,
                 region: str = "US") -> list[str]:
    """The persons (``customer_id`` of ``customers``) with this id (a person id or a source record id), e-mail
    address or phone number (standardised as the build does), in any of their source records.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> rec = ws.sql("SELECT record_id, customer_id, email FROM customer_records WHERE email IS NOT NULL LIMIT 1")
    >>> find_persons(ws, email=rec["email"].iloc[0].upper()) == [rec["customer_id"].iloc[0]]
    True
    """
    con, close = connection_of(con)
    try:
        if customer_id is not None:
            sql, value = ("SELECT customer_id FROM customers WHERE customer_id = $v UNION "
                          "SELECT customer_id FROM customer_records WHERE record_id = $v"), str(customer_id).strip()
        else:
            col = "email" if email is not None else "phone"
            raw = pd.Series([email if email is not None else phone], dtype=object)
            std = (_clean.standardise_emails(raw) if email is not None else
                   _clean.standardise_phones(raw, region)).iloc[0]
            if not isinstance(std, str):
                return []
            sql, value = (f"SELECT customer_id FROM customers WHERE {col} = $v UNION "
                          f"SELECT customer_id FROM customer_records WHERE {col} = $v"), std
        found = {r[0] for r in con.execute(sql, {"v": value}).fetchall() if r[0] is not None}
        known = {r[0] for r in con.execute("SELECT customer_id FROM customers").fetchall()}
        return sorted(found & known)
    finally:
        if close:
            con.close()


def erase_identifier(ws, customer_id: str | None = None, email: str | None = None, phone: str | None = None,
                     reason: str = "erasure request") -> dict:
    """``dbmkit erase``: erase whoever has this customer id (person or source record), e-mail address or phone
    number — every person found, from every table now (``erase_customer``: all their records, e-mails and phones go
    into the client's ledger) — and remember the identifier itself in the ledger, so a record carrying it never
    comes back from the raw files in any work folder. Returns ``persons`` (how many were in the database),
    ``removed`` (rows per table) and ``ledger`` (its path).

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> d = tempfile.mkdtemp()
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(d, "work"),
    ...                 "privacy": {"erasure_ledger": os.path.join(d, "doc.erasures.json")},
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> email = ws.sql("SELECT email FROM customers WHERE email IS NOT NULL LIMIT 1")["email"].iloc[0]
    >>> done = erase_identifier(ws, email=email, reason="customer request")
    >>> done["persons"], email in open(done["ledger"]).read()
    (1, False)
    """
    given = [(k, v) for k, v in (("customer_id", customer_id), ("email", email), ("phone", phone)) if v is not None]
    if len(given) != 1 or not str(given[0][1]).strip():
        raise ValueError("give exactly one of customer_id, email or phone")
    how, value = given[0]
    value = str(value).strip()
    ledger = getattr(ws, "ledger_path", None)
    if ledger is None:
        raise ValueError("this workspace has no erasure ledger: load the client's config from its file, or set "
                         "privacy.erasure_ledger")
    region = json.loads((ws.meta if hasattr(ws, "meta") else {}).get("cleaning", "{}")).get("region", "US")
    persons = find_persons(ws, region=region, **{how: value})
    removed: dict = {}
    if persons:
        removed = erase_customer(ws, persons, reason=reason, also=[value])
    else:                               # nobody has it now; a record that brings it later is withheld
        with _ledger.updating(ledger, ws.cfg.client) as led:
            _ledger.add_keys(led, [value], token_of=value, reason=reason, region=region, how=f"erase by {how} "
                             "(not in the database)")
    return {"persons": len(persons), "removed": removed, "ledger": str(ledger)}


def apply_ledger(ws) -> int:
    """Apply erasures recorded in the client's ledger since this workspace's database was built (made in another
    work folder, or by ``dbmkit erase``): the persons the ledger names are erased now, in place, and the database
    records the ledger state it has applied. Called before every export; returns how many persons were erased
    (0 when the database is current — the usual case, which costs one small file read).

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> apply_ledger(ws)                      # a dict config without privacy.erasure_ledger has no ledger
    0
    """
    ledger = getattr(ws, "ledger_path", None)
    if ledger is None or not Path(ws.db_path).exists():
        return 0
    digest = _ledger.ledger_digest(ledger)
    with ws.connect() as con:
        applied = dict(con.execute("SELECT key, value FROM _meta").fetchall()).get("erasure_ledger")
    if applied == digest:
        return 0
    sets = _ledger.key_sets(_ledger.load_ledger(ledger, ws.cfg.client))
    with ws.connect() as con:
        people = con.execute("SELECT customer_id, record_id AS v FROM customer_records UNION ALL "
                             "SELECT customer_id, email FROM customer_records UNION ALL "
                             "SELECT customer_id, phone FROM customer_records UNION ALL "
                             "SELECT customer_id, customer_id FROM customers UNION ALL "
                             "SELECT customer_id, email FROM customers UNION ALL "
                             "SELECT customer_id, phone FROM customers").df().dropna()
    # the database's values are standardised already: each is hashed as it is and lower-cased
    vals = sorted(set(people["v"]))
    hit = set()
    for salt, keys in sets:
        hit |= {v for v in vals if salted_hash(v, salt) in keys or salted_hash(v.lower(), salt) in keys}
    persons = sorted(set(people.loc[people["v"].astype(object).isin(sorted(hit)), "customer_id"]))
    if persons:
        erase_customer(ws, persons, reason="erasure ledger: erased in another work folder", log=False)
    c = connect(ws.db_path, read_only=False)
    try:
        scrub_raw(c, sets, None, _region_of(c))
        _mark_applied(c, None, _ledger.ledger_digest(ledger))
    finally:
        c.close()
    return len(persons)


def _region_of(con) -> str:
    """The phone region the database was built with (its cleaning settings; else from its phones; US by default)."""
    try:
        meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
        region = json.loads(meta.get("cleaning", "{}")).get("region")
        if region:
            return region
    except (duckdb.Error, ValueError):
        pass
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
    >>> from dbmkit.client_workspace import workspace
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
    >>> from dbmkit.client_workspace import workspace
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
    >>> from dbmkit.client_workspace import workspace
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
