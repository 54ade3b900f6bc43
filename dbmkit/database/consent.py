"""Consent and suppression (许可与抑制名单): who may be contacted on which channel, and who must not, and why.

Consent is kept per person and channel as a history (``consents``); the latest status wins, and when an opt-in and
an opt-out carry the same time the opt-out wins (the safe reading); no record means no consent. The build stores
the explicit consent rows of the sources and the consent flags of the customer records (``consent_flag_rows`` →
``store_consents``). ``latest_consents`` and ``consent_summary`` read the status (as of a date);
``suppression_list(channel)`` lists everyone who must not be contacted on a channel with the reason (no opt-in, no
valid contact detail, deceased, gone away, test account, staff, platform bounces, complaints and unsubscribes,
and the phase-4 campaign feedback). Every campaign selection and export goes through it.

>>> import duckdb
>>> con = duckdb.connect(); _ = con.execute("CREATE TABLE consents AS SELECT * FROM (VALUES "
...     "('P1', 'sms', 'opt_in', TIMESTAMP '2024-01-01'), ('P1', 'sms', 'opt_out', TIMESTAMP '2024-01-01')) "
...     "t(customer_id, channel, status, updated_at)")
>>> latest_consents(con)["status"].tolist()                      # a tie: the opt-out wins
['opt_out']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import clean as _clean
from .. import schema
from ..sql import Raw
from .erasure import ERASED
from .rules import quarantine_hits
from .store import connection_of, register_text, run_step, sql_literal

__all__ = ["CONTACT_FIELD", "consent_flag_rows", "store_consents", "latest_consents", "consent_summary",
           "suppression_list"]

CONTACT_FIELD = {"email": "email", "sms": "phone", "phone": "phone", "mail": "street"}


# ------------------------------------------------------------------------------------------------ the build
def consent_flag_rows(recs: pd.DataFrame):
    """Consent flags on customer records (newsletter yes/no …) become consent rows at the record's sign-up date.

    Returns the records without their ``*_consent`` columns and the list of consent rows per channel (by
    ``record_id``).

    >>> recs, rows = consent_flag_rows(pd.DataFrame({"record_id": ["R1"], "email_consent": [True],
    ...     "signup_date": ["2024-01-01"], "source_system": ["web"]}))
    >>> list(recs.columns), rows[0][["channel", "status"]].values.tolist()
    (['record_id', 'signup_date', 'source_system'], [['email', 'opt_in']])
    """
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


def store_consents(con, linked: pd.DataFrame, flag_cons: list) -> None:
    """The build's consent step: explicit consent rows (by record id or e-mail; ``build_store_consents.sql``) + the
    flags of the customer records (``build_store_consent_flags.sql``); the latest wins when they are read.
    Rows of erased people and rows without a person go to quarantine."""
    cs = con.execute("SELECT * FROM src_consents").df()
    cs["email_clean"] = _clean.standardise_emails(cs["email"]) if len(cs) else pd.Series(dtype=object)
    cs["email_raw"] = cs["email"].astype("string").str.strip().str.lower().astype(object) if len(cs) else None
    register_text(con, "_cs", cs, ["customer_id", "email", "email_clean", "email_raw", "channel", "status",
                                   "source_file", "source_system"])
    run_step(con, "build_store_consents", erased=Raw(sql_literal(ERASED)))
    quarantine_hits(con)
    if flag_cons:
        fc = pd.concat(flag_cons, ignore_index=True)
        person = linked.set_index("record_id")["customer_id"]
        fc["customer_id"] = person.reindex(fc["record_id"]).to_numpy()
        fc = fc[fc["customer_id"].notna() & fc["updated_at"].notna()]
        con.register("_fc", fc[["customer_id", "channel", "status", "updated_at", "source"]])
        run_step(con, "build_store_consent_flags")
        con.unregister("_fc")


# ------------------------------------------------------------------------------------------------ reading consent
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
    con, close = connection_of(con)
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
    con, close = connection_of(ws_or_con)
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
    con, close = connection_of(con)
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
