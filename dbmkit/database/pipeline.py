"""The build pipeline (建库): phase 1, from the raw sources to the marketing database.

``build`` runs the whole pipeline into a new DuckDB file and only then swaps it into place (``os.replace``), so a
failed build never leaves a half-written database:

1. ingest every source through its mapping into ``src_*`` staging tables (:mod:`dbmkit.ingest`; unreadable rows to
   quarantine);
2. row rules and duplicate keys (:mod:`dbmkit.database.rules`; ``build_row_rules.sql``, ``build_duplicates.sql``);
3. orders from the order-level and line-level sales files (``build_orders_from_sources.sql``);
4. clean the customer records (:mod:`dbmkit.clean`; stubs for ids seen only in sales or contacts,
   ``build_referenced_customers.sql``) and find those of erased people (:mod:`dbmkit.database.erasure`: the
   client's erasure ledger and the workspace's own memory);
5. merge/purge: persons and households (:mod:`dbmkit.identity`), the client's known id links (a
   ``customer_links`` source, :mod:`dbmkit.database.links`) applied as certain matches; every record of a person
   with an erased record is withheld (quarantined without its values), so an erased person never comes back,
   whichever record names them — a record a link joins to an erased one too;
6. store the canonical tables (``build_store_people.sql``, ``build_store_reference.sql``,
   ``build_store_orders.sql``, consents read fail-safe by :mod:`dbmkit.database.consent`
   (``build_store_consents.sql``; a linked record's opt-out holds for its whole person,
   ``build_link_consents.sql``), ``build_store_contacts.sql``,
   ``build_store_email_events.sql``, ``build_store_sms_events.sql``) and the views (``build_views.sql``);
7. the data-quality report before/after cleaning (:mod:`dbmkit.database.quality`); the staging tables are dropped.

``BuildReport`` says what the build did; ``cleaning_settings`` and ``clean_like_build`` let a chapter clean records
exactly as the build did.

The whole build with its reconciliation is the example of :mod:`dbmkit.database`; ``BuildReport`` below shows
what a build reports.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .. import clean as _clean
from .. import identity as _identity
from .. import schema
from ..config import ClientConfig, SourceFile
from ..ingest import Limits, ensure_ingest_tables, load_source
from ..sql import Raw
from ..util import isin
from .consent import consent_flag_rows, store_consents
from .erasure import (
    ERASED,
    erased_record_mask,
    erasure_key_sets,
    load_erasures,
    privacy_file,
    save_erasures,
    scrub_raw,
    withhold_records,
)
from .links import hold_linked_opt_outs, id_prefixes, resolve_links, store_links
from .quality import quality_after, quality_before
from .rules import quarantine_hits, rules_and_duplicates
from .store import (
    MEMORY_ENV,
    SQL_TYPES,
    create_tables,
    create_views,
    limit_memory,
    quote_name,
    register_text,
    run_step,
    sql_literal,
    write_meta,
)

__all__ = ["LOAD_ORDER", "BuildReport", "build", "cleaning_settings", "clean_like_build"]

LOAD_ORDER = ["products", "area_demographics", "customers", "orders", "sales_lines", "order_items", "campaigns",
              "contacts", "responses", "consents", "email_events", "sms_events", "customer_links"]


class BuildReport(dict):
    """What a build did: rows read/loaded/quarantined per source, counts per table, identity and quality figures.

    >>> print(BuildReport(rows_read=10, rows_loaded=9, rows_quarantined=1, customers_raw=5, persons=4,
    ...                   households=3).summary())
    rows read 10 = loaded 9 + quarantined 1
    source records 5 → persons 4 in 3 households
    >>> print(BuildReport(rows_read=10, rows_loaded=9, rows_quarantined=1, customers_raw=5, persons=3, households=3,
    ...     identity_links={"given": 3, "applied": 2, "joined": 1, "quarantined": 1}).summary().splitlines()[-1])
    known id links: 3 given, 2 applied (1 joined records fuzzy matching kept apart), 1 quarantined
    """

    def summary(self) -> str:
        lines = [f"rows read {self['rows_read']:,} = loaded {self['rows_loaded']:,} "
                 f"+ quarantined {self['rows_quarantined']:,}",
                 f"source records {self['customers_raw']:,} → persons {self['persons']:,} "
                 f"in {self['households']:,} households"]
        lk = self.get("identity_links") or {}
        if lk.get("given"):
            lines.append(f"known id links: {lk['given']:,} given, {lk['applied']:,} applied ({lk['joined']:,} joined "
                         f"records fuzzy matching kept apart), {lk['quarantined']:,} quarantined")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ build
def build(cfg: ClientConfig, db_path: str | Path, sources: dict[str, list[SourceFile]], base_dir: str | Path,
          workdir: str | Path, progress=None, ledger: str | Path | None = None) -> BuildReport:
    """Build the marketing database from ``sources`` (the config's mapping) into ``db_path``, atomically:
    everything is written to ``<name>.building.duckdb`` first and swapped into place at the end. Erased people are
    kept out by the client's erasure ledger (``ledger``) and the workspace's own memory; the ledger state applied is
    stored in ``_meta`` (``erasure_ledger``).

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
        # capped only when DBMKIT_DUCKDB_MEMORY is set: under 1.5 GB the 1M build's order insert ran out of memory
        limit_memory(con, stage_dir / "duckdb_spill", limit=None if os.environ.get(MEMORY_ENV) else "default")
        ensure_ingest_tables(con)
        say("ingest")
        for table in LOAD_ORDER:
            for spec in sources.get(table, []):
                load_source(con, table, spec, base_dir=base_dir, tmpdir=stage_dir, limits=Limits.of(cfg))
        for table in LOAD_ORDER:
            _empty_src(con, table)
        erasures = load_erasures(workdir)
        key_sets, ledger_state = erasure_key_sets(workdir, ledger, cfg.client)
        report = _assemble(con, cfg, key_sets, say, sources)
        report["sources"] = con.execute("SELECT * FROM load_log").df().to_dict("records")
        write_meta(con, cfg, report)
        con.execute("INSERT OR REPLACE INTO _meta VALUES ('erasure_ledger', ?)", [ledger_state])
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
    if not privacy_file(workdir).exists():
        save_erasures(workdir, erasures)      # fix the salts of this workspace
    os.replace(tmp, db_path)            # the swap: readers see the old or the new database, never half of one
    return report


def _empty_src(con, table: str) -> None:
    """An empty staging table for a table without a source, so every step can read it."""
    cols = schema.source_columns(table)
    defs = ", ".join(f"{quote_name(c.name)} {SQL_TYPES[c.type]}" for c in cols)
    con.execute(f"CREATE TABLE IF NOT EXISTS src_{table} ({defs}, source_file VARCHAR, source_row BIGINT, "
                f"source_system VARCHAR)")


def _assemble(con, cfg: ClientConfig, erasures: list, say, sources: dict) -> BuildReport:
    region = cfg.data.default_phone_region
    as_of = cfg.analysis_date or pd.Timestamp.today().normalize()
    before = quality_before(con, region, as_of)
    say("rules and duplicates")
    rules_and_duplicates(con)
    say("orders")
    run_step(con, "build_orders_from_sources")
    quarantine_hits(con)
    say("clean")
    recs = _customer_records(con, cfg, region, as_of)
    erased = erased_record_mask(recs, erasures, region)
    say("merge/purge")
    recs, flag_cons = consent_flag_rows(recs)
    links = resolve_links(con, recs, id_prefixes(sources))     # known id links: certain matches
    blocks: dict = {}
    linked, scored = _identity.resolve_identities(recs, threshold=cfg.data.match_threshold, con=con,
                                                  return_pairs=True, report=blocks, links=links)
    parts = blocks["fuzzy_person"]
    recs, linked, scored, erased_ids, parts, by_link = _withhold_erased_people(con, recs, linked, scored, erased,
                                                                               parts)
    links_withheld = store_links(con, links, blocks["link_joined"], erased_ids)
    gold = _identity.golden_records(linked, cfg.data.source_priority)
    gold["household_id"] = _identity.assign_households(gold, cfg.data.household_rule).to_numpy()
    say("store")
    create_tables(con)
    _store_people(con, gold, linked, scored, recs)
    run_step(con, "build_store_reference")
    _store_orders(con, cfg, gold)
    store_consents(con, linked, flag_cons, cfg.data.consent_words)
    holds = hold_linked_opt_outs(con, linked, parts) if len(links) else {"holds": 0, "changed": 0}
    _store_contacts_and_events(con, region)
    create_views(con)
    say("quality")
    quality = quality_after(con, before, gold, region, as_of)
    scrub_raw(con, erasures, None, region)
    for t in LOAD_ORDER + ["consents_rejected"]:   # staging is not part of the database (nor are erased people)
        con.execute(f"DROP TABLE IF EXISTS src_{t}")
    ll = con.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM load_log").fetchall()[0]
    # one quality score per stage: the mean of the table scores (tables that came from a source)
    summ = _clean.quality_summary(quality).groupby("stage")["score"].mean()
    large = blocks["large_blocks"]
    return BuildReport(
        rows_read=int(ll[0] or 0), rows_loaded=int(ll[1] or 0), rows_quarantined=int(ll[2] or 0),
        customers_raw=int(len(recs)), persons=int(gold["customer_id"].nunique()),
        households=int(gold["household_id"].nunique()),
        quality_score_before=round(float(summ.get("before cleaning", np.nan)), 1),
        quality_score_after=round(float(summ.get("after cleaning", np.nan)), 1),
        anonymous_orders=int(con.execute("SELECT count(*) FROM anonymous_sales").fetchall()[0][0]),
        erased_records=len(erased_ids),
        identity_pairs=int(len(scored)),
        identity_large_blocks=int(len(large)),
        identity_not_compared=int(large["not_compared"].sum()) if len(large) else 0,
        # the largest ones, keys masked (e-mails and phones hidden, names cut to their first letter)
        identity_large_block_list=large.head(20).astype(object).to_dict("records"),
        identity_links=dict(
            given=int(con.execute("SELECT coalesce(sum(rows_read), 0) FROM load_log "
                                  "WHERE table_name = 'customer_links'").fetchall()[0][0]),
            quarantined=int(con.execute("SELECT count(*) FROM quarantine "
                                        "WHERE table_name = 'customer_links'").fetchall()[0][0]),
            applied=int(len(links) - links_withheld),
            joined=int(con.execute("SELECT count(*) FROM customer_links WHERE joined").fetchall()[0][0]),
            persons_joined=int(len(pd.unique(parts)) - gold["customer_id"].nunique()),
            withheld_by_link=int(by_link), links_withheld=int(links_withheld), consent_holds=holds["holds"],
            consent_holds_changed=holds["changed"]),
    )


def _customer_records(con, cfg: ClientConfig, region: str, as_of) -> pd.DataFrame:
    """Source customer records (plus stubs for ids only seen in sales or contacts), cleaned."""
    recs = con.execute("SELECT * FROM src_customers ORDER BY source_file, source_row").df()
    known = set(recs["customer_id"].dropna())
    referenced = run_step(con, "build_referenced_customers").df()
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
    _note_invalid_identifiers(con, recs)
    return recs.rename(columns={"customer_id": "record_id"})


def _note_invalid_identifiers(con, recs: pd.DataFrame) -> None:
    """An invalid WeChat openid or app push token on a customer record (an e-mail typed into the openid column, a
    placeholder, a truncated token) is left empty — the person has no such contact point — and listed in
    ``value_issues`` with the reason; the raw value is masked (it may be someone's real identifier)."""
    from ..privacy import mask_identifier
    rows = []
    for col in ("wechat_openid", "push_token"):
        prob = recs.get(f"_{col}_problem")
        if prob is None or not prob.notna().any():
            continue
        bad = recs[prob.notna()]
        raw = con.execute(f"SELECT source_file, source_row, {col} AS v FROM src_customers WHERE {col} IS NOT NULL"
                          ).df().drop_duplicates(["source_file", "source_row"]).set_index(["source_file", "source_row"])
        keys = list(zip(bad["source_file"], bad["source_row"]))
        vals = pd.Series([raw["v"].get(k) for k in keys], index=bad.index, dtype=object)
        rows.append(pd.DataFrame({"table_name": "customers", "source": bad["source_file"].astype(object),
                                  "source_row": pd.to_numeric(bad["source_row"], errors="coerce").astype("Int64"),
                                  "column_name": col,
                                  "problem": prob[prob.notna()] + " (left empty: no contact point for the channel)",
                                  "raw_value": mask_identifier(vals).to_numpy()}))
    if rows:
        df = pd.concat(rows, ignore_index=True)
        con.register("_bad_ids", df)
        try:
            con.execute("INSERT INTO value_issues SELECT table_name, source, source_row, column_name, problem, "
                        "raw_value FROM _bad_ids")
        finally:
            con.unregister("_bad_ids")


def _withhold_erased_people(con, recs, linked, scored, erased: np.ndarray, parts: np.ndarray):
    """People erased earlier never come back: every record of a person (as merge/purge links them, known id links
    included) with an erased record is withheld — quarantined without its values, and in the store steps their
    orders, consents, contacts and events — so a new record of an erased person is kept out too, whatever it
    carries. Returns the remaining records, linked records and scored pairs (positions renumbered), the withheld
    record ids, the remaining records' parts (the persons fuzzy matching alone found) and how many records were
    withheld only because a known link joins them to an erased person."""
    gone = erased
    by_link = 0
    if erased.any():
        persons = set(linked.loc[erased, "customer_id"])
        gone = np.asarray(isin(linked["customer_id"], persons), dtype=bool)
        own = np.asarray(isin(pd.Series(parts), set(parts[erased])), dtype=bool)
        by_link = int((gone & ~own).sum())
    recs, erased_ids = withhold_records(con, recs, gone)
    if gone.any():
        keep = ~gone
        parts = parts[keep]
        linked = linked[keep].reset_index(drop=True)
        pos = np.cumsum(keep) - 1
        i, j = scored["i"].to_numpy(), scored["j"].to_numpy()
        ok = keep[i] & keep[j]
        scored = scored[ok].copy()
        scored["i"], scored["j"] = pos[i[ok]], pos[j[ok]]
        scored = scored.reset_index(drop=True)
    return recs, linked, scored, erased_ids, parts, by_link



def _store_people(con, gold, linked, scored, recs) -> None:
    """Persons, their source records and the compared pairs; the record/e-mail/phone → person lookups."""
    ids = linked["record_id"].to_numpy()
    pairs = pd.DataFrame({"record_i": ids[scored["i"].to_numpy()], "record_j": ids[scored["j"].to_numpy()],
                          "score": scored["score"].to_numpy(), "probability": scored["probability"].to_numpy()})
    # contact details (cleaned and as written) → person, for the other tables
    person = linked.set_index("record_id")["customer_id"]
    key = pd.DataFrame({"record_id": recs["record_id"], "email": recs["email"], "raw_email": recs["_raw_email"],
                        "phone": recs["phone"], "raw_phone": recs["_raw_phone"],
                        "signup": pd.to_datetime(recs["signup_date"]).astype("string").fillna("")})
    key["customer_id"] = person.reindex(key["record_id"]).to_numpy()
    register_text(con, "_key", key, list(key.columns))
    frames = {"_gold": gold.reindex(columns=[c.name for c in schema.TABLES["customers"]]),
              "_linked": linked.reindex(columns=[c.name for c in schema.TABLES["customer_records"]]),
              "_pairs": pairs}
    for name, df in frames.items():
        con.register(name, df)
    try:
        run_step(con, "build_store_people")
    finally:
        for name in frames:
            con.unregister(name)


def _store_orders(con, cfg: ClientConfig, gold: pd.DataFrame) -> None:
    """Orders by person (cost from product costs where known, else from the gross margin); test accounts apart."""
    test_people = sorted(gold.loc[gold["is_test"].astype(bool), "customer_id"])
    con.register("_tp", pd.DataFrame({"customer_id": test_people}, dtype=object))
    try:
        run_step(con, "build_store_orders", margin=Raw(f"{cfg.economics.gross_margin}"),
                 erased=Raw(sql_literal(ERASED)))
    finally:
        con.unregister("_tp")
    quarantine_hits(con)


def _store_contacts_and_events(con, region: str) -> None:
    """Contacts and responses, then e-mail and SMS events (matched by e-mail address and phone number too)."""
    erased = Raw(sql_literal(ERASED))
    run_step(con, "build_store_contacts", erased=erased)
    quarantine_hits(con)
    ev = con.execute("SELECT * FROM src_email_events").df()
    ev["email_clean"] = _clean.standardise_emails(ev["email"]) if len(ev) else pd.Series(dtype=object)
    ev["email_raw"] = ev["email"].astype("string").str.strip().str.lower().astype(object) if len(ev) else None
    register_text(con, "_ev", ev, ["campaign_id", "customer_id", "email", "email_clean", "email_raw", "event",
                                   "source_file"])
    run_step(con, "build_store_email_events", erased=erased)
    quarantine_hits(con)
    sm = con.execute("SELECT * FROM src_sms_events").df()
    sm["phone_clean"] = _clean.standardise_phones(sm["phone"], region) if len(sm) else pd.Series(dtype=object)
    sm["phone_raw"] = (sm["phone"].astype("string").str.replace(r"\D", "", regex=True).astype(object)
                       if len(sm) else None)
    register_text(con, "_sm", sm, ["campaign_id", "customer_id", "phone", "phone_clean", "phone_raw", "event",
                                   "source_file"])
    run_step(con, "build_store_sms_events", erased=erased)
    quarantine_hits(con)


# ------------------------------------------------------------------------------------------- cleaning like the build
def cleaning_settings(ws) -> dict:
    """The settings the database was cleaned with (phone region, analysis date, test and staff patterns, match
    threshold, source priority) — for a synthetic client they come from its locale.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
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
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> clean_like_build(ws, pd.DataFrame({"customer_id": ["1"], "email": [" Ann@X.com"]}))["email"].tolist()
    ['ann@x.com']
    """
    st = cleaning_settings(ws)
    return _clean.clean_customer_records(records, region=st.get("region", "US"), as_of=st.get("as_of"),
                                         test_patterns=st.get("test_patterns", ()),
                                         staff_domains=st.get("staff_domains", ()))
