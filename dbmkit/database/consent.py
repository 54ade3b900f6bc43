"""Consent and suppression (许可与排除名单): who may be contacted on which channel, and who must not, and why.

Consent is kept per person and channel as a history of evidence; the latest evidence wins, and when an opt-in and
an opt-out carry the same time the opt-out wins (the safe reading); no record means no consent. Consent is read
**fail-safe**: evidence that cannot be read with certainty counts as an opt-out.

* ``consents`` holds the rows read with certainty: the explicit consent rows of the sources (status words matched
  against the vocabulary of ``schema.ENUMS["consent_status"]`` and the client's ``data.consent_words``, ignoring
  case, spaces and punctuation; e-mail keys such as ``mailto:Ann@X.COM`` normalised) and the consent flags of the
  customer records at the record's sign-up date (a flag "yes" without a date at the earliest time, 1900-01-01, so
  it never beats a dated opt-out);
* ``consent_uncertain`` holds the rest, each row an opt-out of its person: an unknown status word, an unreadable
  channel (then on every channel), an opt-in for "all" channels, an opt-out whose date is missing or unreadable and
  a flag "no" without a date (both count as the latest evidence), an unreadable flag. Its explicit rows stay in
  ``quarantine`` too, so rows read = loaded + quarantined; ``source`` and ``source_row`` say where each one is.

``latest_consents`` and ``consent_summary`` read the evidence (as of a date: later changes are ignored; evidence
without a date always counts); ``suppression_list(channel)`` lists everyone who must not be contacted on a channel
with the reason (no opt-in, uncertain consent, no valid contact detail, deceased, gone away, test account, staff,
platform bounces, complaints and unsubscribes, the phase-4 campaign feedback, and a contact detail on the
suppression list). ``suppressed_contact_points`` is the suppression list by contact point: the normalised e-mail
addresses, phone numbers (E.164) and postal addresses (the name at the address) of every record of the people who opted
out, bounced, complained, died or moved away — a send-file row is dropped when its contact detail is one of them
(``contact_point_hits``), whichever person record carries it and whether or not merge/purge joined the records.
Every campaign selection and export goes through them.

>>> import duckdb
>>> con = duckdb.connect(); _ = con.execute("CREATE TABLE consents AS SELECT * FROM (VALUES "
...     "('P1', 'sms', 'opt_in', TIMESTAMP '2024-01-01'), ('P1', 'sms', 'opt_out', TIMESTAMP '2024-01-01')) "
...     "t(customer_id, channel, status, updated_at)")
>>> latest_consents(con)["status"].tolist()                      # a tie: the opt-out wins
['opt_out']
>>> read_status(pd.Series(["Opted Out", "STOP", "订阅", "maybe"]))[0].tolist()   # "maybe": an opt-out, uncertain
['opt_out', 'opt_out', 'opt_in', 'opt_out']
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import clean as _clean
from .. import schema
from ..ingest import REJECTED_CONSENTS
from ..sql import Raw
from .erasure import ERASED
from .rules import quarantine_hits
from .store import connection_of, quote_name, register_text, run_step, sql_literal, support_ddl

__all__ = ["CONTACT_FIELD", "CHANNELS", "CORE_CHANNELS", "APP_CHANNELS", "channels_in_use", "EARLIEST",
           "consent_vocabulary", "read_status", "read_channel",
           "consent_flag_rows", "store_consents", "consent_evidence_sql", "latest_consents", "consent_summary",
           "uncertain_consents", "suppression_list", "suppressed_contact_points", "contact_point_keys",
           "contact_point_hits"]

CONTACT_FIELD = {"email": "email", "sms": "phone", "phone": "phone", "mail": "street",
                 "wechat": "wechat_openid", "app_push": "push_token"}
CHANNELS = tuple(schema.ENUMS["consent_channel"])
# the channels every client has, and the app channels of the Chinese market (WeChat service-account / mini-program
# subscription messages, app push): a summary lists an app channel only where the client uses it
CORE_CHANNELS = ("email", "sms", "phone", "mail")
APP_CHANNELS = ("wechat", "app_push")
EARLIEST = pd.Timestamp("1900-01-01")      # the time of an opt-in without a date: older than any dated change
_ALL = {schema.normalise_word(w) for w in schema.CONSENT_ALL_CHANNELS.split()} - {""}
# the latest evidence first: an unknown time counts as the latest, then the opt-out wins a tie
LATEST_KEY = "(coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain)"


# ------------------------------------------------------------------------------------------------ the vocabulary
def consent_vocabulary(words: dict | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The status and channel words (normalised, see ``schema.normalise_word``) → canonical value: the built-in
    vocabulary (``schema.ENUMS``) with the client's ``data.consent_words`` on top.

    >>> status, channel = consent_vocabulary({"opt_in": ["Yes please"], "email": ["Newsletter (e-mail)"]})
    >>> status["yesplease"], status["donotcontact"], channel["newsletteremail"]
    ('opt_in', 'opt_out', 'email')
    """
    status = {schema.normalise_word(k): v for k, v in schema.SYNONYMS["consent_status"].items()}
    channel = {schema.normalise_word(k): v for k, v in schema.SYNONYMS["consent_channel"].items()}
    for key, ws in (words or {}).items():
        target = status if key in ("opt_in", "opt_out") else channel
        for w in ws:
            target[schema.normalise_word(w)] = key
    return status, channel


def _norm_unique(values: pd.Series) -> pd.Series:
    """normalise_word on each distinct value only (a consent file has few distinct words)."""
    v = values.astype(object).where(values.notna(), None)
    uniq = {x: schema.normalise_word(x) for x in pd.unique(v.dropna())}
    return v.map(uniq)


def read_status(values: pd.Series, words: dict | None = None) -> tuple[pd.Series, pd.Series]:
    """Status words → (status, certain). A word outside the vocabulary, or no word, reads as ``opt_out`` with
    ``certain`` False: unknown consent counts as an opt-out until the client's ``data.consent_words`` maps it.

    >>> s, ok = read_status(pd.Series(["Subscribed", "退订", "perhaps", None]))
    >>> s.tolist(), ok.tolist()
    (['opt_in', 'opt_out', 'opt_out', 'opt_out'], [True, True, False, False])
    """
    status, _ = consent_vocabulary(words)
    got = _norm_unique(values).map(status)
    return got.fillna("opt_out").astype(object), got.notna()


def read_channel(values: pd.Series, words: dict | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Channel words → (channels, certain, every): a tuple of channels per value — one channel, or all of them for a
    word meaning every channel (all, global, *, 全部 …; ``every`` True) and for a channel that cannot be read
    (``certain`` False).

    >>> ch, ok, every = read_channel(pd.Series(["E-Mail", "all", "carrier pigeon"]))
    >>> [len(c) for c in ch], ok.tolist(), every.tolist()
    ([1, 6, 6], [True, True, False], [False, True, False])
    """
    _, channel = consent_vocabulary(words)
    raw = values.astype(object).where(values.notna(), None)
    norm = _norm_unique(raw)
    star = raw.map(lambda x: isinstance(x, str) and x.strip() == "*")
    one = norm.map(channel)
    every = (star | norm.isin(_ALL)) & one.isna()
    certain = one.notna() | every
    chans = [(c,) if isinstance(c, str) else CHANNELS for c in one]
    return pd.Series(chans, index=values.index, dtype=object), certain, every


def _email_key(s: pd.Series) -> pd.Series:
    """An e-mail key as a careless export writes it → the address: ``mailto:`` removed, spaces removed, lower case.

    >>> _email_key(pd.Series([" mailto:Ann @X.COM ", None])).tolist()
    ['ann@x.com', None]
    """
    t = s.astype("string").str.strip().str.lower().str.replace(r"^mailto:", "", regex=True)
    t = t.str.replace(r"\s+", "", regex=True)
    return t.astype(object).where(t.notna() & (t != ""), None)


def _email_as_written(s: pd.Series) -> pd.Series:
    """The key as written (trimmed, lower case): it finds a record whose address is just as (in)valid."""
    t = s.astype("string").str.strip().str.lower()
    return t.astype(object).where(t.notna() & (t != ""), None)


def _shown(v) -> str | None:
    """A value for ``raw_value``: 40 characters at most, e-mail addresses and long numbers masked."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    t = re.sub(r"\S+@\S+", "…@…", str(v))
    return re.sub(r"\d{6,}", "…", t)[:40]


# ------------------------------------------------------------------------------------------------ the build
def consent_flag_rows(recs: pd.DataFrame):
    """Consent flags on customer records (newsletter yes/no …) become consent rows at the record's sign-up date
    (``NaT`` when the record has none: the store step reads those fail-safe).

    Returns the records without their ``*_consent`` columns and the list of consent rows per channel (by
    ``record_id``).

    >>> recs, rows = consent_flag_rows(pd.DataFrame({"record_id": ["R1"], "email_consent": [True],
    ...     "signup_date": ["2024-01-01"], "source_system": ["web"]}))
    >>> list(recs.columns), rows[0][["channel", "status"]].values.tolist()
    (['record_id', 'signup_date', 'source_system'], [['email', 'opt_in']])
    """
    flag_cons = []
    for ch in CHANNELS:
        col = f"{ch}_consent"
        if col in recs.columns:
            f = recs[recs[col].notna()]
            flag_cons.append(pd.DataFrame({"record_id": f["record_id"], "channel": ch,
                                           "status": np.where(f[col].astype(bool), "opt_in", "opt_out"),
                                           "updated_at": pd.to_datetime(f["signup_date"]),
                                           "source": f["source_system"]}))
    recs = recs.drop(columns=[c for c in recs.columns if c.endswith("_consent")])
    return recs, flag_cons


_EVIDENCE_COLS = ["source_file", "source_row", "origin", "customer_id", "email_clean", "email_raw", "channel",
                  "status", "updated_at", "certain", "status_read", "problem", "raw_value", "source", "record_id"]


def _loaded_rows(con) -> pd.DataFrame:
    """The consent rows ingest loaded: certain, except an opt-out without a (readable) date."""
    cs = con.execute("SELECT * FROM src_consents ORDER BY source_file, source_row").df()
    vi = con.execute("SELECT source, source_row, raw_value FROM value_issues WHERE table_name = 'consents' AND "
                     "column_name = 'updated_at'").df()
    bad_date = dict(zip(zip(vi["source"], vi["source_row"]), vi["raw_value"]))
    key = _email_key(cs["email"]) if len(cs) else pd.Series(dtype=object)
    undated = cs["updated_at"].isna()
    raw_date = pd.Series([bad_date.get(k) for k in zip(cs["source_file"], cs["source_row"])], index=cs.index,
                         dtype=object)
    out_undated = undated & (cs["status"] == "opt_out")
    problem = np.where(raw_date.notna(), "updated_at: cannot read '" + raw_date.fillna("").map(_shown).fillna("")
                       + "' as a date", "updated_at: missing")
    problem = pd.Series(problem, index=cs.index) + " — an opt-out without a date counts as the latest evidence"
    return pd.DataFrame({
        "source_file": cs["source_file"], "source_row": cs["source_row"], "origin": "loaded",
        "customer_id": cs["customer_id"], "email_clean": _clean.standardise_emails(key) if len(cs) else key,
        "email_raw": _email_as_written(cs["email"]) if len(cs) else key,
        "channel": cs["channel"].map(lambda c: (c,)), "status": cs["status"],
        "updated_at": cs["updated_at"].where(~undated | out_undated, EARLIEST), "certain": ~out_undated,
        "status_read": cs["status"], "problem": problem.where(out_undated, None),
        "raw_value": raw_date.map(_shown).where(out_undated, None),
        "source": cs["source_system"].replace("", None).fillna(cs["source_file"]), "record_id": None})


def _rejected_rows(con, words: dict | None) -> pd.DataFrame:
    """The consent rows ingest set aside in quarantine, read again with the vocabulary and the client's words:
    certain when status, channel and (for an opt-out) date can be read; otherwise an opt-out, uncertain."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if REJECTED_CONSENTS not in tables:
        return pd.DataFrame(columns=_EVIDENCE_COLS)
    rj = con.execute(f"SELECT * FROM {REJECTED_CONSENTS} ORDER BY source_file, source_row").df()
    if not len(rj):
        return pd.DataFrame(columns=_EVIDENCE_COLS)
    st, st_ok = read_status(rj["status"], words)
    chans, ch_ok, every = read_channel(rj["channel"], words)
    dated = rj["updated_at"].notna()
    date_given = rj["updated_at_text"].notna()
    opt_in_all = st_ok & (st == "opt_in") & every & ch_ok
    certain = st_ok & ch_ok & ~opt_in_all & (dated | (st == "opt_in"))
    problems = []
    raws = []
    for s_raw, s_ok, c_raw, c_ok, all_in, d_ok, d_given, d_raw, sure in zip(
            rj["status"], st_ok, rj["channel"], ch_ok, opt_in_all, dated, date_given, rj["updated_at_text"], certain):
        p, r = [], []
        if not s_ok:
            p.append(f"status '{_shown(s_raw) or ''}' is not a known consent word" if s_raw is not None
                     else "status: missing")
            r.append(_shown(s_raw))
        if not c_ok:
            p.append(f"channel '{_shown(c_raw) or ''}' is not a known channel (counted on every channel)"
                     if c_raw is not None else "channel: missing (counted on every channel)")
            r.append(_shown(c_raw))
        if all_in:
            p.append(f"an opt-in must name one channel, not '{_shown(c_raw)}' (counted as an opt-out on every "
                     "channel)")
            r.append(_shown(c_raw))
        if not d_ok and not sure:
            p.append(f"updated_at: cannot read '{_shown(d_raw)}' as a date (counted as the latest evidence)"
                     if d_given else "updated_at: missing (counted as the latest evidence)")
            if d_given:
                r.append(_shown(d_raw))
        problems.append("; ".join(p) or None)
        raws.append(" | ".join(x for x in r if x) or None)
    key = _email_key(rj["email"])
    upd = rj["updated_at"].where(dated | ~certain, EARLIEST)
    return pd.DataFrame({
        "source_file": rj["source_file"], "source_row": rj["source_row"], "origin": "quarantined",
        "customer_id": rj["customer_id"], "email_clean": _clean.standardise_emails(key),
        "email_raw": _email_as_written(rj["email"]),
        "channel": chans, "status": st.where(certain, "opt_out"), "updated_at": upd, "certain": certain,
        "status_read": st.where(st_ok, None), "problem": pd.Series(problems, index=rj.index, dtype=object),
        "raw_value": pd.Series(raws, index=rj.index, dtype=object), "source": rj["source_file"],
        "record_id": None})


def _flag_rows(con, linked: pd.DataFrame, flag_cons: list, words: dict | None) -> pd.DataFrame:
    """The consent flags of the customer records by person: dated rows are certain; a "yes" without a date counts
    at the earliest time, a "no" without a date as the latest evidence (uncertain); a flag value ingest could not
    read is read with the vocabulary (an unknown word: an opt-out at the record's sign-up date, uncertain)."""
    rec = linked.drop_duplicates("record_id").set_index("record_id")
    person = rec["customer_id"]
    parts = []
    if flag_cons:
        fc = pd.concat(flag_cons, ignore_index=True)
        fc["status_read"] = fc["status"]
        fc["raw_value"] = None
        parts.append(fc)
    vi = con.execute("SELECT source, source_row, column_name, raw_value FROM value_issues "
                     "WHERE table_name = 'customers' AND column_name LIKE '%\\_consent' ESCAPE '\\'").df()
    if len(vi) and "source_row" in rec.columns:
        where = rec.reset_index()[["record_id", "source_file", "source_row", "signup_date", "source_system"]]
        where = where[where["source_row"].notna()].assign(source_row=lambda d: d["source_row"].astype("int64"))
        vi = vi.assign(source_row=vi["source_row"].astype("int64")).merge(
            where, left_on=["source", "source_row"], right_on=["source_file", "source_row"], how="inner")
        st, ok = read_status(vi["raw_value"], words)
        parts.append(pd.DataFrame({"record_id": vi["record_id"], "channel": vi["column_name"].str.replace(
            "_consent", "", regex=False), "status": st, "updated_at": pd.to_datetime(vi["signup_date"]),
            "source": vi["source_system"], "status_read": st.where(ok, None),
            "raw_value": vi["raw_value"].map(_shown).where(~ok, None), "_unknown": ~ok}))
    if not parts:
        return pd.DataFrame(columns=_EVIDENCE_COLS)
    fc = pd.concat(parts, ignore_index=True)
    if "_unknown" not in fc.columns:
        fc["_unknown"] = False
    fc["_unknown"] = fc["_unknown"].fillna(False).astype(bool)
    fc["customer_id"] = person.reindex(fc["record_id"]).to_numpy()
    fc = fc[fc["customer_id"].notna()].reset_index(drop=True)
    undated = fc["updated_at"].isna()
    certain = ~fc["_unknown"] & ~(undated & (fc["status"] == "opt_out"))
    col = fc["channel"] + "_consent"
    problem = np.where(fc["_unknown"], col + ": '" + fc["raw_value"].fillna("").astype(str) +
                       "' is not a known consent word (counted as an opt-out)",
                       col + ": 'no' on a record without a sign-up date (counted as the latest evidence)")
    src_file = rec["source_file"].reindex(fc["record_id"]).to_numpy() if "source_file" in rec.columns else None
    src_row = rec["source_row"].reindex(fc["record_id"]).to_numpy() if "source_row" in rec.columns else None
    return pd.DataFrame({
        "source_file": src_file, "source_row": src_row, "origin": "flag", "customer_id": fc["customer_id"],
        "email_clean": None, "email_raw": None, "channel": fc["channel"].map(lambda c: (c,)),
        "status": fc["status"].where(certain, "opt_out"),
        "updated_at": fc["updated_at"].where(~undated | ~certain, EARLIEST), "certain": certain,
        "status_read": fc["status_read"], "problem": pd.Series(problem, index=fc.index).where(~certain, None),
        "raw_value": fc["raw_value"].where(~certain, None), "source": fc["source"],
        "record_id": fc["record_id"]})


def store_consents(con, linked: pd.DataFrame, flag_cons: list, words: dict | None = None) -> None:
    """The build's consent step, fail-safe. Every piece of consent evidence — the explicit consent rows ingest
    loaded, those it set aside in quarantine (read again with the vocabulary and the client's ``words``), the flags
    of the customer records (dated, undated, unreadable) — is read with certainty into ``consents`` or, as an
    opt-out, into ``consent_uncertain`` (``build_store_consents.sql``). A quarantined row read with certainty is
    loaded after all; a loaded opt-out without a readable date moves to quarantine (and suppresses). Rows of erased
    people and rows without a person go to quarantine (their person cannot be told)."""
    parts = [_loaded_rows(con), _rejected_rows(con, words), _flag_rows(con, linked, flag_cons, words)]
    ev = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=_EVIDENCE_COLS)
    ev = ev.explode("channel", ignore_index=True)
    ev["updated_at"] = pd.to_datetime(ev["updated_at"]).astype("datetime64[us]")
    ev["source_row"] = pd.to_numeric(ev["source_row"], errors="coerce").astype("Int64")
    ev["certain"] = ev["certain"].astype(bool)
    con.execute(support_ddl("consent_uncertain", replace=True))
    register_text(con, "_cs", ev[_EVIDENCE_COLS], [c for c in _EVIDENCE_COLS if c not in
                                                    ("source_row", "updated_at", "certain")])
    run_step(con, "build_store_consents", erased=Raw(sql_literal(ERASED)))
    quarantine_hits(con)


# ------------------------------------------------------------------------------------------------ reading consent
def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def consent_evidence_sql(con) -> str:
    """The consent evidence as one relation: ``consents`` (certain) and ``consent_uncertain`` (each row an opt-out)
    with columns customer_id, channel, status, updated_at (NULL: unknown, counts as the latest), uncertain."""
    sql = "SELECT customer_id, channel, status, updated_at, false AS uncertain FROM consents"
    if "consent_uncertain" in _tables(con):
        sql += (" UNION ALL SELECT customer_id, channel, 'opt_out' AS status, updated_at, true AS uncertain "
                "FROM consent_uncertain")
    return sql


def _ts_literal(ts: pd.Timestamp) -> str:
    return f"TIMESTAMP '{pd.Timestamp(ts).strftime('%Y-%m-%d %H:%M:%S')}'"


def _evidence_when(as_of) -> str:
    """SQL condition on the evidence (columns status, updated_at): as of a date (later changes are ignored), or —
    without a date — everything the database holds now: every opt-out whatever its date, and the opt-ins up to
    now (an opt-in dated in the future, such as a placeholder 2999-12-31, grants nothing). Evidence without a date
    always counts."""
    if as_of is not None:
        return f"(updated_at IS NULL OR updated_at < {_ts_literal(pd.Timestamp(as_of) + pd.Timedelta(days=1))})"
    return f"(updated_at IS NULL OR status = 'opt_out' OR updated_at <= {_ts_literal(pd.Timestamp.now())})"


def _event_when(column: str, as_of) -> str:
    """SQL condition on an event time: before the day after ``as_of``; without a date, every event."""
    if as_of is None:
        return "TRUE"
    return f"{column} < {_ts_literal(pd.Timestamp(as_of) + pd.Timedelta(days=1))}"


def latest_consents(con, as_of=None) -> pd.DataFrame:
    """Latest consent evidence per customer and channel: as of a date (later changes are ignored), or without one
    everything the database holds now (every opt-out, whatever its date; an opt-in dated in the future grants
    nothing). Evidence without a date always counts, as the latest. When an opt-in and an opt-out carry the same
    time, the opt-out wins (the safe reading). ``uncertain`` is True when the latest evidence could not be read with
    certainty.

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE consents AS SELECT * FROM (VALUES "
    ...     "('P1', 'email', 'opt_in', TIMESTAMP '2024-01-01'), ('P1', 'email', 'opt_out', TIMESTAMP '2024-06-01')) "
    ...     "t(customer_id, channel, status, updated_at)")
    >>> latest_consents(con)["status"].tolist(), latest_consents(con, as_of="2024-03-01")["status"].tolist()
    (['opt_out'], ['opt_in'])
    """
    con, close = connection_of(con)
    try:
        return con.execute(f"""SELECT customer_id, channel, arg_max(status, {LATEST_KEY}) AS status,
            arg_max_null(updated_at, {LATEST_KEY}) AS updated_at, arg_max(uncertain, {LATEST_KEY}) AS uncertain
            FROM ({consent_evidence_sql(con)}) WHERE {_evidence_when(as_of)}
            GROUP BY 1, 2 ORDER BY 1, 2""").df()
    finally:
        if close:
            con.close()


def consent_summary(ws_or_con, as_of=None) -> pd.DataFrame:
    """Per channel: persons with consent evidence, opted in, opted out, the opt-out share, persons without any
    record (who must not be contacted either: no consent means no) and ``uncertain``, the persons suppressed because
    their latest evidence could not be read with certainty (counted among the opted out; ``uncertain_consents``
    says where the rows are).

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES ('P1'), ('P2')) t(customer_id)")
    >>> _ = con.execute("CREATE TABLE consents AS SELECT 'P1' AS customer_id, 'email' AS channel, "
    ...     "'opt_out' AS status, TIMESTAMP '2024-01-01' AS updated_at")
    >>> consent_summary(con).set_index("channel").loc["email", ["opted_out", "optout_share", "no_record"]].tolist()
    [1.0, 1.0, 1.0]
    """
    con, close = connection_of(ws_or_con)
    try:
        lat = latest_consents(con, as_of)
        n = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
        chans = channels_in_use(con)
    finally:
        if close:
            con.close()
    rows = []
    for ch in chans:
        d = lat[lat["channel"] == ch]
        opt_in = int((d["status"] == "opt_in").sum())
        opt_out = int((d["status"] == "opt_out").sum())
        rows.append(dict(channel=ch, with_record=len(d), opted_in=opt_in, opted_out=opt_out,
                         optout_share=opt_out / len(d) if len(d) else np.nan, no_record=int(n - len(d)),
                         uncertain=int(d["uncertain"].astype(bool).sum())))
    return pd.DataFrame(rows)


def channels_in_use(ws_or_con) -> tuple:
    """The channels a summary shows: the core four always, an app channel (WeChat, app push) when someone carries
    its contact point or opted in to it — a client without WeChat or an app is shown no rows of nobody (suppression
    never depends on this: every channel is checked; tests/test_app_channels.py)."""
    con, close = connection_of(ws_or_con)
    try:
        tables = _tables(con)
        cols = {r[0] for r in con.execute("DESCRIBE customers").fetchall()} if "customers" in tables else set()

        def used(ch: str) -> bool:
            sql = [f"SELECT 1 FROM customers WHERE {quote_name(CONTACT_FIELD[ch])} IS NOT NULL"] \
                if CONTACT_FIELD[ch] in cols else []
            if "consents" in tables:
                sql.append(f"SELECT 1 FROM consents WHERE channel = '{ch}' AND status = 'opt_in'")
            return bool(sql) and bool(con.execute(" UNION ALL ".join(sql) + " LIMIT 1").fetchall())
        return CORE_CHANNELS + tuple(ch for ch in APP_CHANNELS if used(ch))
    finally:
        if close:
            con.close()


def uncertain_consents(ws_or_con, as_of=None) -> pd.DataFrame:
    """Where the consent evidence that could not be read with certainty is, and what it does: per source file and
    kind of problem, the rows, the people whose latest evidence it is (suppressed for uncertain consent), the
    channels (WeChat and app push only where the client uses them, ``channels_in_use``), the first rows (line
    numbers in the file) and an example. Empty when every row was read.

    >>> import duckdb
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE consents (customer_id VARCHAR, channel VARCHAR, "
    ...     "status VARCHAR, updated_at TIMESTAMP)")
    >>> _ = con.execute("CREATE TABLE consent_uncertain AS SELECT 'P1' AS customer_id, 'email' AS channel, "
    ...     "NULL::TIMESTAMP AS updated_at, 'opt_out' AS status_read, 'updated_at: missing' AS problem, "
    ...     "'prefs.csv' AS source, 7 AS source_row, NULL AS raw_value")
    >>> uncertain_consents(con)[["source", "rows", "people", "first_rows"]].values.tolist()
    [['prefs.csv', 1, 1, '7']]
    """
    con, close = connection_of(ws_or_con)
    try:
        cols = ["source", "problem_kind", "rows", "people", "channels", "first_rows", "example"]
        if "consent_uncertain" not in _tables(con):
            return pd.DataFrame(columns=cols)
        lat = latest_consents(con, as_of)
        u = con.execute("SELECT * FROM consent_uncertain").df()
        shown = channels_in_use(con)
    finally:
        if close:
            con.close()
    if not len(u):
        return pd.DataFrame(columns=cols)
    deciding = lat[lat["uncertain"].astype(bool)][["customer_id", "channel"]].assign(_deciding=True)
    u = u.merge(deciding, on=["customer_id", "channel"], how="left")
    u["problem_kind"] = u["problem"].fillna("").str.replace(r"'[^']*'", "'…'", regex=True)
    rows = []
    for (src, kind), g in u.groupby([u["source"].fillna("(unknown)"), "problem_kind"], sort=True):
        lines = sorted({int(x) for x in g["source_row"].dropna()})
        rows.append(dict(source=src, problem_kind=kind, rows=len(lines) or len(g.drop_duplicates("customer_id")),
                         people=int(g.loc[g["_deciding"].fillna(False).astype(bool), "customer_id"].nunique()),
                         channels=", ".join(c for c in shown if c in set(g["channel"])),
                         first_rows=", ".join(str(x) for x in lines[:10]) + (" …" if len(lines) > 10 else ""),
                         example=g.sort_values("source_row")["problem"].iloc[0]))
    return pd.DataFrame(rows, columns=cols).sort_values(["people", "rows"], ascending=False).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ contact points
_PUNCT = "[ \t\r\n.,;:#/，。、　'\"()-]+"          # the same characters are removed in SQL and in pandas
_KIND = {"email": "e-mail address", "sms": "phone number", "phone": "phone number", "mail": "postal address",
         "wechat": "WeChat openid", "app_push": "app push token"}


def _point_sql(channel: str, cols: set[str], alias: str) -> str:
    """SQL of the normalised contact point a row of customers/customer_records carries for ``channel``."""
    def c(name):
        return f"{alias}.{quote_name(name)}" if name in cols else "CAST(NULL AS VARCHAR)"

    def norm(x):
        return f"regexp_replace(lower({x}), {sql_literal(_PUNCT)}, '', 'g')"
    if channel == "email":
        return f"nullif(regexp_replace(lower({c('email')}), '^[ ]*mailto:|[ \t]', '', 'g'), '')"
    if channel in ("sms", "phone"):
        return f"nullif(regexp_replace({c('phone')}, '[^0-9+]', '', 'g'), '')"
    if channel in APP_CHANNELS:         # an openid is case-sensitive: kept as cleaned, only trimmed
        return f"nullif(trim({c(CONTACT_FIELD[channel])}), '')"
    return (f"CASE WHEN {c('street')} IS NOT NULL AND {c('last_name')} IS NOT NULL THEN "
            f"{norm('coalesce(' + c('first_name') + ', ' + chr(39) * 2 + ')')} || '|' || "
            f"{norm(c('last_name'))} || '|' || "
            f"{norm(c('street'))} || '|' || {norm('coalesce(' + c('postal_code') + ', ' + chr(39) * 2 + ')')} END")


def contact_point_keys(df: pd.DataFrame, channel: str) -> pd.Series:
    """The normalised contact point of each row for ``channel`` — the same key as the database side of
    ``suppressed_contact_points``: the e-mail address (lower case, no ``mailto:``, no spaces), the phone number
    (digits and +), the WeChat openid and the push token (trimmed, case kept), the postal address as the name at the
    address (first name, surname, street, postal code
    without case, spaces and punctuation: another member of the household is another contact point). None where
    the row has no such detail.

    >>> contact_point_keys(pd.DataFrame({"first_name": ["Ann"], "last_name": ["Lee"], "street": ["1 Main St."],
    ...                                  "postal_code": ["10 001"]}), "mail").tolist()
    ['ann|lee|1mainst|10001']
    """
    def col(name):
        return df[name].astype("string") if name in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")

    def norm(s):
        return s.str.lower().str.replace(_PUNCT, "", regex=True)
    if channel == "email":
        k = col("email").str.lower().str.replace(r"^[ ]*mailto:|[ \t]", "", regex=True)
    elif channel in ("sms", "phone"):
        k = col("phone").str.replace(r"[^0-9+]", "", regex=True)
    elif channel in APP_CHANNELS:
        k = col(CONTACT_FIELD[channel]).str.strip()
    else:
        ok = col("street").notna() & col("last_name").notna()
        k = (norm(col("first_name").fillna("")) + "|" + norm(col("last_name")) + "|" +
             norm(col("street")) + "|" + norm(col("postal_code").fillna(""))).where(ok)
    k = k.where(k != "")
    return k.astype(object).where(k.notna(), None)


def _latest_cte(con, channel: str, as_of) -> str:
    """CTE ``lat``: the latest evidence per person on ``channel`` (status, uncertain), as of a date or now."""
    return (f"lat AS MATERIALIZED (SELECT customer_id, arg_max(status, {LATEST_KEY}) AS status, "
            f"arg_max(uncertain, {LATEST_KEY}) AS uncertain FROM ({consent_evidence_sql(con)}) "
            f"WHERE channel = '{channel}' AND {_evidence_when(as_of)} GROUP BY 1)")


def _sources_sql(channel: str, tables: set[str], as_of) -> str:
    """The people whose contact points are suppressed on ``channel``, with why (reads the CTE ``lat``)."""
    parts = ["SELECT customer_id, 'opted out' AS why FROM lat WHERE status = 'opt_out'",
             "SELECT customer_id, 'deceased' FROM customers WHERE coalesce(deceased, false)"]
    if channel == "mail":
        parts.append("SELECT customer_id, 'gone away' FROM customers WHERE coalesce(gone_away, false)")
    if channel == "email" and "email_events" in tables:
        parts.append("SELECT DISTINCT customer_id, event FROM email_events WHERE event IN "
                     f"('bounced', 'complained', 'unsubscribed') AND {_event_when('event_ts', as_of)}")
    if channel == "sms" and "sms_events" in tables:
        parts.append("SELECT DISTINCT customer_id, event FROM sms_events WHERE event IN ('bounced', 'unsubscribed') "
                     f"AND {_event_when('event_ts', as_of)}")
    if "campaign_feedback" in tables:
        parts.append(f"SELECT DISTINCT customer_id, kind FROM campaign_feedback WHERE channel = '{channel}' "
                     f"AND kind IN ('unsubscribe', 'complaint', 'bounce') AND {_event_when('event_ts', as_of)}")
    return " UNION ".join(parts)


def _holders_sql(con, channel: str, tables: set[str]) -> str:
    """The suppressed points of ``channel``: (point, customer_id of the person it came from, why), from every
    record and golden record of the people of the CTE ``src``."""
    holders = []
    for t in ("customers", "customer_records"):
        if t in tables:
            cols = {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}
            holders.append(f"SELECT customer_id, {_point_sql(channel, cols, 'x')} AS point FROM {t} x "
                           f"WHERE customer_id IN (SELECT customer_id FROM src)")
    return (f"SELECT DISTINCT h.point, s.customer_id, s.why FROM src s JOIN ({' UNION '.join(holders)}) h "
            f"USING (customer_id) WHERE h.point IS NOT NULL")


def suppressed_contact_points(con, channels=CHANNELS, as_of=None) -> pd.DataFrame:
    """The suppression list by contact point: per channel, the normalised e-mail addresses, phone numbers and
    postal addresses (see ``contact_point_keys``) carried by any record of a person who opted out of the channel
    (explicit or uncertain evidence), bounced, complained or unsubscribed at the platform or in campaign feedback,
    died, or (mail) moved away — with ``why`` and how many such people carry it. As of a date, or with everything
    the database holds (the default: the evidence at send time).

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES ('P1', 'a@b.com', false), "
    ...     "('P2', 'a@b.com', false)) t(customer_id, email, deceased)")
    >>> _ = con.execute("CREATE TABLE consents AS SELECT 'P1' AS customer_id, 'email' AS channel, 'opt_out' AS status, "
    ...     "TIMESTAMP '2024-01-01' AS updated_at")
    >>> suppressed_contact_points(con, ["email"])[["channel", "point", "why"]].values.tolist()
    [['email', 'a@b.com', 'opted out']]
    """
    con, close = connection_of(con)
    try:
        tables = _tables(con)
        parts = []
        for ch in channels:
            d = con.execute(f"""WITH {_latest_cte(con, ch, as_of)}, src AS ({_sources_sql(ch, tables, as_of)})
                SELECT point, string_agg(DISTINCT why, ', ' ORDER BY why) AS why, count(DISTINCT customer_id) AS people
                FROM ({_holders_sql(con, ch, tables)}) GROUP BY 1 ORDER BY 1""").df()
            parts.append(d.assign(channel=ch))
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["point", "why", "people"])
        return out.reindex(columns=["channel", "point", "why", "people"])
    finally:
        if close:
            con.close()


def contact_point_hits(rows: pd.DataFrame, points: pd.DataFrame | None) -> pd.Series:
    """True for each row (with ``channel`` and its contact details) whose contact point for its channel is on the
    suppression list ``points`` (``suppressed_contact_points``).

    >>> rows = pd.DataFrame({"channel": ["email", "email"], "email": ["A@b.com", "c@d.com"]})
    >>> contact_point_hits(rows, pd.DataFrame({"channel": ["email"], "point": ["a@b.com"]})).tolist()
    [True, False]
    """
    hit = pd.Series(False, index=rows.index)
    if points is None or not len(points) or not len(rows):
        return hit
    for ch in pd.unique(rows["channel"].dropna()):
        on = (rows["channel"] == ch).to_numpy()
        bad = set(points.loc[points["channel"] == ch, "point"])
        if bad:
            keys = contact_point_keys(rows[on], ch)
            hit[on] = keys.isin(bad).to_numpy()
    return hit


# ------------------------------------------------------------------------------------------------ suppression
def suppression_list(con, channel: str, as_of=None) -> pd.DataFrame:
    """Everyone who must not be contacted on ``channel``, with the reason (one row per customer and reason).

    Reasons: no opt-in / opted out for the channel (latest evidence wins; no record means no consent), consent that
    could not be read (counted as an opt-out), no valid contact detail for the channel, deceased, gone away (mail),
    test account, staff, e-mail bounced or complained or unsubscribed at the platform (e-mail), SMS undeliverable
    or STOP (sms), the campaign feedback, and a contact detail on the suppression list (an e-mail address, phone
    number or postal address that a record of someone who opted out, bounced, complained or died carries too —
    whether or not merge/purge joined the records). As of a date, or — without one, the send — with everything the
    database holds (see ``latest_consents``).

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
    con, close = connection_of(con)
    try:
        field = CONTACT_FIELD[channel]
        tables = _tables(con)
        parts = [
            "SELECT c.customer_id, 'not opted in' AS reason FROM customers c LEFT JOIN lat k USING (customer_id) "
            "WHERE coalesce(k.status, 'none') <> 'opt_in'",
            "SELECT customer_id, 'consent could not be read (counted as an opt-out)' FROM lat WHERE uncertain",
            f"SELECT customer_id, 'no valid {field}' FROM customers WHERE {field} IS NULL",
            "SELECT customer_id, 'deceased' FROM customers WHERE coalesce(deceased, false)",
            "SELECT customer_id, 'test account' FROM customers WHERE coalesce(is_test, false)",
            "SELECT customer_id, 'staff' FROM customers WHERE coalesce(is_staff, false)",
        ]
        if channel == "mail":
            parts.append("SELECT customer_id, 'gone away' FROM customers WHERE coalesce(gone_away, false)")
        if channel == "email" and "email_events" in tables:
            for ev, why in (("bounced", "e-mail bounced"), ("complained", "complained (spam report)"),
                            ("unsubscribed", "unsubscribed")):
                parts.append(f"SELECT DISTINCT customer_id, '{why}' FROM email_events WHERE event = '{ev}' "
                             f"AND {_event_when('event_ts', as_of)}")
        if channel == "sms" and "sms_events" in tables:
            for ev, why in (("bounced", "SMS undeliverable"), ("unsubscribed", "unsubscribed")):
                parts.append(f"SELECT DISTINCT customer_id, '{why}' FROM sms_events WHERE event = '{ev}' "
                             f"AND {_event_when('event_ts', as_of)}")
        if "campaign_feedback" in tables:       # phase 4 feedback: opt-outs and bounces of the planned campaign
            parts.append(f"""SELECT DISTINCT customer_id, CASE kind WHEN 'bounce' THEN 'bounced (campaign feedback)'
                ELSE 'opted out (campaign feedback)' END FROM campaign_feedback WHERE channel = '{channel}'
                AND kind IN ('unsubscribe', 'complaint', 'bounce') AND {_event_when('event_ts', as_of)}""")
        # by contact point: someone else's record with the same e-mail, phone or postal address is suppressed
        cols = {r[0] for r in con.execute("DESCRIBE customers").fetchall()}
        parts.append(f"""SELECT c.customer_id, '{_KIND[channel]} on the suppression list' FROM customers c
            JOIN (SELECT DISTINCT point FROM pts) p ON p.point = {_point_sql(channel, cols, 'c')}
            WHERE c.customer_id NOT IN (SELECT customer_id FROM src)""")
        sql = (f"WITH {_latest_cte(con, channel, as_of)}, "
               f"src AS MATERIALIZED ({_sources_sql(channel, tables, as_of)}), "
               f"pts AS MATERIALIZED ({_holders_sql(con, channel, tables)}) "
               f"SELECT DISTINCT customer_id, reason FROM ({' UNION '.join(parts)}) ORDER BY customer_id, reason")
        return con.execute(sql).df()
    finally:
        if close:
            con.close()
