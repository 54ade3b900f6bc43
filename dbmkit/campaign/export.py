"""The send file: who gets the campaign, through which channel, with which offer and personal fields.

``send_file`` keeps only the treatment group, drops anyone no longer in the database (erased) or suppressed for the
channel they were planned on, and fills only the contact detail that channel needs (e-mail address for e-mail,
phone for SMS and phone, name and postal address for mail, the WeChat openid for WeChat service-account /
mini-program subscription messages, the device push token for app push) — data minimisation. Control and holdout
members stay in the contact history (``campaign_contacts``), never in the send file. ``export_list`` writes it as CSV
and Excel (one sheet per channel plus a summary). An openid or token must be a valid one
(``app_ids.standardise_openids``, ``app_ids.standardise_push_tokens``), else the row has no contact detail and is
dropped.

The send file is opened in spreadsheets, so a text cell must never run as a formula (CSV injection): in the CSV a
text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (``csv_safe``,
the OWASP rule), except an E.164 phone number in the ``phone`` column (``+4915123456789``: only a sign and digits,
which a spreadsheet reads as a number, never as code — and the SMS or call platform needs it as written); numbers
are written as numbers. The Excel file writes every text as a text cell (never a formula), as it is.

>>> contacts = pd.DataFrame({"campaign_id": "NEW-1", "customer_id": ["a", "b", "c"], "cell": "X", "channel": "email",
...                          "group": ["treatment", "treatment", "control"], "offer": "WELCOME",
...                          "contact_ts": pd.Timestamp("2026-07-07 10:00")})
>>> people = pd.DataFrame({"customer_id": ["a", "b", "c"], "first_name": ["Ann", "Bo", "Cy"],
...                        "email": ["a@x.org", "b@x.org", "c@x.org"]})
>>> sup = pd.DataFrame({"customer_id": ["b"], "channel": ["email"], "reason": ["not opted in"]})
>>> send_file(contacts, people, sup)["customer_id"].tolist()
['a']
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..app_ids import standardise_openids, standardise_push_tokens
from ..database.consent import contact_point_hits
from ..util import isin
from ..xlsx import write_xlsx
from .settings import OFFERS

__all__ = ["send_file", "export_list", "contact_details", "campaign_list_dir", "CONTACT_FIELDS", "csv_safe"]

# the contact details each channel needs (and the only ones written for it)
CONTACT_FIELDS = {"email": ["email"], "sms": ["phone"], "phone": ["phone"],
                  "mail": ["last_name", "street", "postal_code", "city"],
                  "wechat": ["wechat_openid"], "app_push": ["push_token"]}
_ALL_FIELDS = ["email", "phone", "last_name", "street", "postal_code", "city"]
_APP_FIELDS = ["wechat_openid", "push_token"]          # columns of the send file only when a row uses them
_REQUIRED = ("email", "phone", "street", "wechat_openid", "push_token")     # a row without its channel's is dropped


def contact_details(ws, customer_ids=None) -> pd.DataFrame:
    """First name and contact details from ``customers`` (for the send file only — never show them in a report)."""
    have = set(ws.sql("SELECT * FROM customers LIMIT 0").columns)
    app = ", ".join(c for c in _APP_FIELDS if c in have)
    df = ws.sql("SELECT customer_id, first_name, last_name, email, phone, street, postal_code, city"
                + (", " + app if app else "") + " FROM customers")
    if customer_ids is not None:
        df = df[isin(df["customer_id"], set(customer_ids))]
    return df.reset_index(drop=True)


def send_file(contacts: pd.DataFrame, customers: pd.DataFrame, suppressions: pd.DataFrame,
              offers: dict | None = None, contact_points: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of the send file (see the module doc). ``suppressions`` has ``customer_id`` and ``channel``
    (``"*"`` = every channel); a row whose contact detail is in ``contact_points``
    (``dbmkit.database.suppressed_contact_points``) is dropped too, whoever carries it. The counts of rows dropped
    here (normally zero: the plan already removed them) are in ``.attrs["dropped"]``.
    """
    need = {"campaign_id", "customer_id", "cell", "channel", "group", "offer"}
    missing = need - set(contacts.columns)
    if missing:
        raise KeyError(f"contacts need the columns {sorted(missing)} (the campaign_contacts table)")
    if "customer_id" not in customers.columns:
        raise KeyError("customers need a customer_id column")
    offers = offers or OFFERS
    c = contacts[contacts["group"] == "treatment"].copy()
    dropped = {"control or holdout": int((contacts["group"] != "treatment").sum())}
    known = isin(c["customer_id"], set(customers["customer_id"]))
    dropped["erased (not in customers)"] = int((~known).sum())
    c = c[known]
    sup = suppressions if suppressions is not None else pd.DataFrame(columns=["customer_id", "channel"])
    everywhere = set(sup.loc[sup["channel"] == "*", "customer_id"])
    pairs = sup.loc[sup["channel"] != "*", ["customer_id", "channel"]].drop_duplicates().astype(object)
    on_channel = c[["customer_id", "channel"]].astype(object).merge(pairs.assign(_sup=True), how="left",
                                                                    on=["customer_id", "channel"], sort=False)
    bad = isin(c["customer_id"], everywhere) | on_channel["_sup"].notna().to_numpy()
    dropped["suppressed for the channel"] = int(bad.sum())
    c = c[~bad]
    unknown = ~c["channel"].isin(list(CONTACT_FIELDS)).to_numpy()       # fail safe: no detail known for it
    if unknown.any():
        dropped["channel without contact rules"] = int(unknown.sum())
    c = c[~unknown]
    fields_all = _ALL_FIELDS + _APP_FIELDS
    det = customers.drop_duplicates("customer_id").set_index("customer_id")
    for f in ["first_name"] + fields_all:
        if f not in det.columns:
            det[f] = None
    c = c.join(det[["first_name"] + fields_all], on="customer_id")
    for f in fields_all:                                       # only the detail the channel needs
        used = c["channel"].isin([ch for ch, fields in CONTACT_FIELDS.items() if f in fields]).to_numpy()
        c[f] = c[f].astype(object).where(used, None)
    has = pd.Series(True, index=c.index)
    for ch, fields in CONTACT_FIELDS.items():
        on = (c["channel"] == ch).to_numpy()
        for f in fields:
            if f in _APP_FIELDS:             # an openid / token must be one (a stray value is no contact point)
                std = standardise_openids if f == "wechat_openid" else standardise_push_tokens
                has[on] &= std(c.loc[on, f]).notna().to_numpy(bool)
            elif f in _REQUIRED:
                has[on] &= c.loc[on, f].map(lambda v: isinstance(v, str) and v.strip() != "").to_numpy(bool)
    dropped["no contact detail for the channel"] = int((~has).sum())
    c = c[has]
    listed = contact_point_hits(c, contact_points)                 # by contact point, whoever carries it
    dropped["contact detail on the suppression list"] = int(listed.sum())
    c = c[~listed.to_numpy()]
    names = {k: v.get("name", k) for k, v in offers.items()}
    c["offer_text"] = c["offer"].map(lambda o: names.get(o, o))
    c["contact_date"] = pd.to_datetime(c["contact_ts"]).dt.date if "contact_ts" in c.columns else None
    app = [f for f in _APP_FIELDS if c["channel"].isin([ch for ch, fs in CONTACT_FIELDS.items() if f in fs]).any()]
    cols = ["campaign_id", "customer_id", "cell", "channel", "offer", "offer_text", "contact_date", "first_name"] \
        + _ALL_FIELDS + app + [x for x in ("recommended_product", "recommended_product_name") if x in c.columns]
    out = c[cols].sort_values(["channel", "cell", "customer_id"], kind="stable").reset_index(drop=True)
    out.attrs["dropped"] = dropped
    return out


_FORMULA_START = r"^[=+\-@\t\r]"           # what a spreadsheet reads as the start of a formula (OWASP)
_E164 = r"\+[1-9]\d{6,14}"


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as formulas in a spreadsheet: a text beginning with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'``. Numbers stay numbers (``-12.5`` is not touched), and an
    E.164 number in the ``phone`` column stays dialable as it is.

    >>> df = pd.DataFrame({"first_name": ["=1+1", "Ann", "-Bo", None],
    ...                    "phone": ["+4915123456789", "+1 (212) =1", None, "@x"], "n": [-1.5, 2, 3, 4]})
    >>> csv_safe(df).values.tolist()
    [["'=1+1", '+4915123456789', -1.5], ['Ann', "'+1 (212) =1", 2.0], ["'-Bo", nan, 3.0], [nan, "'@x", 4.0]]
    """
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype == bool or pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        txt = s.map(lambda v: v if isinstance(v, str) else None).astype("string")
        risky = txt.str.contains(_FORMULA_START, regex=True).fillna(False).to_numpy(bool)
        if str(c) == "phone":
            risky &= ~txt.str.fullmatch(_E164).fillna(False).to_numpy(bool)
        if risky.any():
            vals = s.astype(object).to_numpy(copy=True)
            vals[risky] = ["'" + v for v in vals[risky]]
            out[c] = pd.Series(vals, index=s.index, dtype=object)
    return out


def export_list(contacts: pd.DataFrame, customers: pd.DataFrame, suppressions: pd.DataFrame, out,
                filename: str = "campaign_list", formats=("csv", "xlsx"), offers: dict | None = None,
                contact_points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Write the send file into the folder ``out`` as ``<filename>.csv`` (UTF-8, text cells made safe with
    ``csv_safe``) and ``<filename>.xlsx`` (a sheet per channel and a summary by cell and channel; text as text
    cells); returns the rows written (see ``send_file``)."""
    bad = [f for f in formats if f not in ("csv", "xlsx")]
    if bad:
        raise ValueError(f"formats are 'csv' and 'xlsx', not {bad}")
    df = send_file(contacts, customers, suppressions, offers, contact_points)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if "csv" in formats:
        # no formulas; CRLF rows (RFC 4180), so that a carriage return inside a value is quoted and stays in its cell
        csv_safe(df).to_csv(out / f"{filename}.csv", index=False, encoding="utf-8", lineterminator="\r\n")
    if "xlsx" in formats:
        summary = df.groupby(["cell", "channel"]).size().rename("contacts").reset_index() if len(df) else \
            pd.DataFrame(columns=["cell", "channel", "contacts"])
        sheets = {"summary": summary}
        for ch in sorted(pd.unique(df["channel"])) if len(df) else []:
            sheets[str(ch)[:31]] = df[df["channel"] == ch].dropna(axis=1, how="all")
        write_xlsx(out / f"{filename}.xlsx", sheets)       # streamed: linear in the rows
    return df


def campaign_list_dir(ws) -> Path:
    """Where the campaign list goes: the report folder during a report run (``DBMKIT_REPORT_OUT``), otherwise
    ``<workdir>/exports``."""
    env = os.environ.get("DBMKIT_REPORT_OUT")
    return Path(env) if env else Path(ws.workdir) / "exports"
