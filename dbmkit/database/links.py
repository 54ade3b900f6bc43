"""Known id links (已知ID关联): a client's crosswalk or key map says two source records are the same person.

A ``customer_links`` source (``schema.LINK_COLUMNS``: ``system_a``, ``id_a``, ``system_b``, ``id_b``, optional
``kind`` and ``note``) names each record by its system — a customers source's ``source_system``, ``main`` when it has
none — and its id as that system's file writes it (the source's ``id_prefix`` is added here, as ingest adds it to
the customer ids). The build

1. checks every link (``resolve_links``): a system no customers source has, an id that system does not hold, a link
   of a record to itself, a link given twice and the links of a record named in more than ``MAX_LINKS_PER_RECORD``
   links (a placeholder id, a shared card) go to ``quarantine`` with the reason (rows read = loaded +
   quarantined);
2. gives merge/purge the valid links as **certain matches**: they are the first edges of the graph whose connected
   components are the persons (``dbmkit.identity.resolve_identities``); fuzzy matching adds its edges, and no
   score can take a link away;
3. keeps the fail-safe rules across links: an erased record's person is withheld with every record a link joins to
   it (the build's erasure step), and ``hold_linked_opt_outs`` (``build_link_consents.sql``) makes the opt-out of a
   record on a channel hold for the whole linked person — a link never makes anyone reachable whom the records
   without the link kept out;
4. stores the links applied in ``customer_links`` (``joined``: the two records were different persons before the
   links) and counts them in the build report (``link_summary``).

>>> import duckdb
>>> from dbmkit.ingest import ensure_ingest_tables
>>> con = duckdb.connect(); ensure_ingest_tables(con)
>>> _ = con.execute("CREATE TABLE src_customer_links AS SELECT * FROM (VALUES "
...     "('web', '7', 'card', '900', 'crosswalk', NULL, 'links.csv', 2, ''), "
...     "('web', '7', 'pos', '901', NULL, NULL, 'links.csv', 3, '')) "
...     "t(system_a, id_a, system_b, id_b, kind, note, source_file, source_row, source_system)")
>>> recs = pd.DataFrame({"record_id": ["W7", "900"], "source_system": ["web", "card"]})
>>> resolve_links(con, recs, {"web": ["W"]})[["record_a", "record_b", "kind"]].values.tolist()
[['W7', '900', 'crosswalk']]
>>> con.execute("SELECT source_row, reason FROM quarantine").fetchall()
[(3, "system_b: no customers source has the system 'pos' (the systems are card, web)")]
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..privacy import mask_pii
from ..sql import Raw
from .erasure import ERASED
from .rules import quarantine_frame
from .store import base_tables, connection_of, register_text, run_step, support_ddl

__all__ = ["MAX_LINKS_PER_RECORD", "LINK_COLUMNS_STORED", "id_prefixes", "resolve_links", "store_links",
           "hold_linked_opt_outs", "link_summary", "link_reason_kind"]

MAX_LINKS_PER_RECORD = 20      # a record in more links is not one person's (a placeholder id, a shared card)
LINK_COLUMNS_STORED = ["record_a", "record_b", "system_a", "id_a", "system_b", "id_b", "kind", "note", "joined",
                       "source", "source_row"]
# reason → the kind shown in the summary (the first words of each reason this module and ingest write)
_KINDS = [("no customers source has the system", "unknown system"), ("has no record with the id", "id not found"),
          ("links a record to itself", "a record linked to itself"), ("repeats the link", "duplicate link"),
          ("placeholder id or a shared card", "record in too many links"), (ERASED, "erased person"),
          (": missing", "missing value")]


def link_reason_kind(reason) -> str:
    """The kind of a quarantined link's reason, for the summary.

    >>> link_reason_kind("id_b: the system 'card' has no record with the id '12'")
    'id not found'
    """
    text = str(reason or "")
    return next((kind for key, kind in _KINDS if key in text), "other")


def id_prefixes(sources) -> dict[str, list[str]]:
    """Per system (lower case): the ``id_prefix`` values its sources add to customer ids (a config's
    ``data.sources``; each source's ``source_system``, ``main`` when it has none).

    >>> from dbmkit.config import SourceFile
    >>> id_prefixes({"customers": [SourceFile(path="w.csv", source_system="Web", id_prefix="W-")]})
    {'web': ['W-']}
    """
    out: dict[str, list[str]] = {}
    for specs in (sources or {}).values():
        for sp in specs:
            if sp.id_prefix:
                key = _norm(sp.source_system or "main")
                if sp.id_prefix not in out.setdefault(key, []):
                    out[key].append(sp.id_prefix)
    return out


def _norm(s) -> str | None:
    return str(s).strip().casefold() if isinstance(s, str) and s.strip() else None


def _shown(v) -> str:
    return str(v)[:40]


def resolve_links(con, recs: pd.DataFrame, prefixes: dict[str, list[str]] | None = None,
                  max_links: int = MAX_LINKS_PER_RECORD) -> pd.DataFrame:
    """The links of ``src_customer_links`` as pairs of source records (``record_a``, ``record_b`` of ``recs``, the
    cleaned customer records with ``record_id`` and ``source_system``), with the link as given (system, id, kind,
    note masked) and where it came from (``source``, ``source_row``). Links that cannot be applied are quarantined
    with the reason: a system no customers source has, an id the system does not hold (tried with the system's
    ``prefixes`` first, then as written), a record linked to itself, a link given before (the same two records),
    and every link of a record named in more than ``max_links`` links (a placeholder id such as 0 or a shared
    card would otherwise merge strangers into one person). The module example shows some of them."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in LINK_COLUMNS_STORED if c != "joined"})
    if not _table_exists(con, "src_customer_links"):
        return empty
    lk = con.execute("SELECT * FROM src_customer_links ORDER BY source_file, source_row").df()
    if not len(lk):
        return empty
    prefixes = {k.casefold(): v for k, v in (prefixes or {}).items()}
    sys_norm = recs["source_system"].map(_norm)
    systems = dict(zip(sys_norm, recs["source_system"]))
    ids = recs["record_id"].astype(str).to_numpy()
    # (system, id as written) → record: by the id without the system's prefix (preferred), then by the id itself
    keys = [pd.DataFrame({"sys": sys_norm, "key": ids, "record": ids, "rank": 1})]
    for s, pres in prefixes.items():
        mine = (sys_norm == s).to_numpy()
        for p in pres:
            hit = mine & np.char.startswith(ids.astype(str), p)
            keys.append(pd.DataFrame({"sys": s, "key": [x[len(p):] for x in ids[hit]], "record": ids[hit], "rank": 0}))
    look = pd.concat(keys, ignore_index=True).sort_values("rank", kind="stable").drop_duplicates(["sys", "key"])
    look = dict(zip(zip(look["sys"], look["key"]), look["record"]))
    known = ", ".join(sorted(str(v) for v in set(systems.values()))) or "none"
    problems: list[list[tuple[str, str]]] = [[] for _ in range(len(lk))]
    found = {}
    for side in ("a", "b"):
        s = lk[f"system_{side}"].map(_norm)
        i = lk[f"id_{side}"].astype(str)
        rec = pd.Series([look.get((a, b)) if a is not None else None for a, b in zip(s, i)], index=lk.index,
                        dtype=object)
        found[side] = rec
        for k, (sn, raw_sys, raw_id, r) in enumerate(zip(s, lk[f"system_{side}"], i, rec)):
            if sn not in systems:
                problems[k].append((f"system_{side}", f"system_{side}: no customers source has the system "
                                                      f"'{_shown(raw_sys)}' (the systems are {known})"))
            elif r is None:
                problems[k].append((f"id_{side}", f"id_{side}: the system '{systems[sn]}' has no record with the id "
                                                  f"'{_shown(raw_id)}' (check the id and the source's `id_prefix`)"))
    a, b = found["a"], found["b"]
    pair = pd.Series([tuple(sorted((x, y))) if x is not None and y is not None else None for x, y in zip(a, b)],
                     index=lk.index, dtype=object)
    first_row: dict = {}
    for k, (x, y, p, row) in enumerate(zip(a, b, pair, lk["source_row"])):
        if p is None or problems[k]:
            continue
        if x == y:
            problems[k].append(("id_b", "the link links a record to itself"))
        elif p in first_row:
            problems[k].append(("id_b", f"the link repeats the link of row {first_row[p]} (the same two records)"))
        else:
            first_row[p] = int(row)
    # a record in very many links is a placeholder id or a shared card, not a person: its links are set aside
    valid = [k for k in range(len(lk)) if not problems[k]]
    degree = pd.Series([x for k in valid for x in (a.iloc[k], b.iloc[k])], dtype=object).value_counts()
    hubs = set(degree[degree > max_links].index)
    for k in valid:
        hub = next((x for x in (a.iloc[k], b.iloc[k]) if x in hubs), None)
        if hub is not None:
            problems[k].append(("id_a" if hub == a.iloc[k] else "id_b",
                                f"the record {hub} is in {int(degree[hub])} links (more than {max_links}): a "
                                "placeholder id or a shared card? its links were set aside"))
    note = lk["note"].map(lambda t: mask_pii(str(t))[0] if isinstance(t, str) else None)
    bad = np.array([bool(p) for p in problems], dtype=bool)
    if bad.any():
        shown = lk.assign(note=note)
        raw = [json.dumps({c: None if pd.isna(shown.at[k, c]) else str(shown.at[k, c])
                           for c in ("system_a", "id_a", "system_b", "id_b", "kind", "note")}, ensure_ascii=False)[:500]
               for k in lk.index[bad]]
        q = pd.DataFrame({"table_name": "customer_links", "source": lk.loc[bad, "source_file"].to_numpy(),
                          "source_row": lk.loc[bad, "source_row"].astype("int64").to_numpy(),
                          "column_name": [problems[k][0][0] for k in np.flatnonzero(bad)],
                          "reason": ["; ".join(m for _, m in problems[k]) for k in np.flatnonzero(bad)],
                          "raw_values": raw})
        con.register("_ql", q)
        try:
            quarantine_frame(con, "_ql")
        finally:
            con.unregister("_ql")
    ok = ~bad
    return pd.DataFrame({"record_a": a[ok].to_numpy(), "record_b": b[ok].to_numpy(),
                         "system_a": lk.loc[ok, "system_a"].to_numpy(), "id_a": lk.loc[ok, "id_a"].to_numpy(),
                         "system_b": lk.loc[ok, "system_b"].to_numpy(), "id_b": lk.loc[ok, "id_b"].to_numpy(),
                         "kind": lk.loc[ok, "kind"].to_numpy(), "note": note[ok].to_numpy(),
                         "source": lk.loc[ok, "source_file"].to_numpy(),
                         "source_row": lk.loc[ok, "source_row"].to_numpy()}).reset_index(drop=True)


def _table_exists(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()[0][0])


def store_links(con, links: pd.DataFrame, joined, withheld: set) -> int:
    """Store the links applied in ``customer_links`` (``joined`` per link: the records were different persons
    before the links). A link naming a withheld record (an erased person, or a record a link joins to one) is not
    stored: it goes to quarantine without its values. Returns how many links were withheld."""
    links = links.assign(joined=np.asarray(joined, dtype=bool)) if len(links) else \
        links.assign(joined=pd.Series(dtype=bool))
    gone = (links["record_a"].isin(withheld) | links["record_b"].isin(withheld)).to_numpy(dtype=bool) \
        if withheld and len(links) else np.zeros(len(links), dtype=bool)
    if gone.any():
        g = links[gone]
        q = pd.DataFrame({"table_name": "customer_links", "source": g["source"].to_numpy(),
                          "source_row": g["source_row"].astype("int64").to_numpy(), "column_name": "id_a",
                          "reason": ERASED, "raw_values": None})
        con.register("_ql", q)
        try:
            quarantine_frame(con, "_ql")
        finally:
            con.unregister("_ql")
    keep = links[~gone].reindex(columns=LINK_COLUMNS_STORED)
    keep["source_row"] = pd.to_numeric(keep["source_row"]).astype("Int64")
    con.execute(support_ddl("customer_links", replace=True))
    register_text(con, "_lk", keep, [c for c in LINK_COLUMNS_STORED if c not in ("joined", "source_row")])
    con.execute("INSERT INTO customer_links SELECT * FROM _lk ORDER BY source, source_row")
    con.execute("DROP TABLE _lk")
    return int(gone.sum())


def hold_linked_opt_outs(con, linked: pd.DataFrame, parts) -> dict:
    """The fail-safe rule of consent across links (``build_link_consents.sql``, after the consent step): for a
    person that known id links joined from several parts (the persons fuzzy matching alone found, ``parts`` per row
    of ``linked``), a part whose own latest consent evidence on a channel is an opt-out (read as at send time:
    every opt-out, opt-ins up to now) makes the person opted out on that channel — a row in ``consent_uncertain``
    without a date (it counts as the latest evidence). Returns ``holds`` (person × channel rows added) and
    ``changed`` (those where the person's own latest evidence was not an opt-out: the link would otherwise have
    made the part reachable)."""
    rp = pd.DataFrame({"record_id": linked["record_id"].astype(str).to_numpy(),
                       "customer_id": linked["customer_id"].astype(str).to_numpy(),
                       "part": np.asarray(parts, dtype=object).astype(str)})
    register_text(con, "_rec_part", rp, list(rp.columns))
    now = pd.Timestamp.now().strftime("%Y-%m-%d %H:%M:%S")
    try:
        row = run_step(con, "build_link_consents", now=Raw(f"TIMESTAMP '{now}'")).fetchall()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS _rec_part")
    return {"holds": int(row[0] or 0), "changed": int(row[1] or 0)}


def link_summary(ws_or_con) -> pd.DataFrame:
    """What the known id links did, for the identity chapter: links given, applied, that joined records fuzzy
    matching kept apart, the persons fewer because of them, the links quarantined by kind of reason, the records
    withheld because a link joins them to an erased person and the opt-outs a link carried to its person. Empty
    when the client has no ``customer_links`` source.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE load_log AS SELECT 'customer_links' AS table_name, 'l.csv' AS source, "
    ...     "3 AS rows_read, 2 AS rows_loaded, 1 AS rows_quarantined")
    >>> _ = con.execute("CREATE TABLE quarantine AS SELECT 'customer_links' AS table_name, 'l.csv' AS source, "
    ...     "4 AS source_row, 'id_b' AS column_name, 'id_b: the system ''web'' has no record with the id ''9''' "
    ...     "AS reason")
    >>> _ = con.execute("CREATE TABLE customer_links AS SELECT * FROM (VALUES ('A', 'B', true), ('B', 'C', false)) "
    ...     "t(record_a, record_b, joined)")
    >>> link_summary(con).set_index("measure")["count"].to_dict()["links applied"]
    2
    """
    con, close = connection_of(ws_or_con)
    try:
        tables = base_tables(con)
        if "load_log" not in tables:
            return pd.DataFrame(columns=["measure", "count"])
        given = con.execute("SELECT coalesce(sum(rows_read), 0), count(*) FROM load_log "
                            "WHERE table_name = 'customer_links'").fetchall()[0]
        if not given[1]:
            return pd.DataFrame(columns=["measure", "count"])
        applied = joined = 0
        if "customer_links" in tables:
            applied, joined = con.execute("SELECT count(*), count(*) FILTER (WHERE joined) "
                                          "FROM customer_links").fetchall()[0]
        q = con.execute("SELECT reason FROM quarantine WHERE table_name = 'customer_links'").df() \
            if "quarantine" in tables else pd.DataFrame({"reason": []})
        rep = {}
        if "_meta" in tables:
            meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
            rep = json.loads(meta.get("report", "{}")).get("identity_links", {}) or {}
    finally:
        if close:
            con.close()
    rows = [("links given", int(given[0])), ("links applied", int(applied)),
            ("links that joined records fuzzy matching kept apart", int(joined)),
            ("persons fewer because of the links", int(rep.get("persons_joined", 0)))]
    kinds = q["reason"].map(link_reason_kind).value_counts() if len(q) else pd.Series(dtype=int)
    rows.append(("links quarantined", int(len(q))))
    for kind, n in kinds.items():
        rows.append((f"  quarantined: {kind}", int(n)))
    rows.append(("records withheld: linked to an erased person", int(rep.get("withheld_by_link", 0))))
    rows.append(("opt-outs held across links (person × channel)", int(rep.get("consent_holds", 0))))
    return pd.DataFrame(rows, columns=["measure", "count"])
