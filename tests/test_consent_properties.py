"""Consent must always hold (hypothesis): whatever a careless client exports, nobody whose latest consent evidence
says no, and no suppressed contact point, is ever in a send file — on any channel, in English and in Chinese.

Each example writes a small client's files (two customer systems with duplicate records of the same people,
consent flags spelled every which way, a consent file with known and unknown words, mixed case, Chinese, keys
written as ``mailto:``, unreadable and missing dates, dates after the analysis date, unreadable and "all"
channels; sometimes one e-mail address shared by more records than merge/purge compares) and runs it through the
normal config path: ingest → identity → database → plan → export. The send files are then checked against the
rules written here again, independently of dbmkit's code:

* evidence: a flag counts at its record's sign-up date; an explicit row at its date; a word outside the vocabulary,
  an unreadable channel (every channel), an opt-in for "all" channels, an opt-out without a readable date, a flag
  "no" without a date — each is an opt-out; unknown times are the latest, an opt-in without a date the earliest;
  ties go to the opt-out; a row keyed by e-mail belongs to the person of the records with that address (the one who
  signed up last when several people have it);
* a person may be sent a channel only when the latest evidence of the person is a certain opt-in;
* and only when the contact detail written for that channel is not carried by any record of a person whose latest
  evidence for the channel is an opt-out.
"""
from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbmkit import campaign as C
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config

AS_OF = pd.Timestamp("2025-12-31")
CHANNELS = ("email", "sms", "phone", "mail")
EARLIEST, LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2262-01-01")
# the words the generator writes, and how the rules read them
IN_WORDS = ["subscribed", "opt-in", "YES", "Opted In", "订阅", "同意", "granted"]
OUT_WORDS = ["unsubscribed", "Opted Out", "STOP", "stop all", "退订", "拒收", "取消订阅", "DNC", "Do-Not-Contact",
             "withdrawn", "bounced"]
UNKNOWN_WORDS = ["maybe", "pending", "待定", "", "n/a?"]
CHANNEL_WORDS = {"email": ["email", "E-Mail", "newsletter", "邮件"], "sms": ["sms", "SMS", "短信", "Text"],
                 "phone": ["phone", "电话", "Tel"], "mail": ["mail", "post", "直邮"]}
ALL_WORDS = ["all", "*", "全部", "Global"]
BAD_CHANNELS = ["Newsletter (e-mail)", "fax", ""]
FLAG_YES = ["Y", "yes", "1", "是", "subscribed", "granted"]
FLAG_NO = ["N", "no", "0", "否", "退订", "unsubscribed"]
FLAG_UNKNOWN = ["maybe", "??", "pending"]
DAYS = [-700, -400, -200, -60, -30, 0, 10, 40]            # few distinct days: ties happen; some after AS_OF
EVERYONE = dict(budget=None, depth_deciles=10, n_per_household={},
                lifecycle_stages=("new", "active", "at_risk", "lapsed", "lost"), recommend=False)
NAMES = {"en": (["Ann", "Bob", "Cai", "Dee", "Eve", "Fay", "Gus"], ["Lee", "Moss", "Nash", "Ortiz", "Park"]),
         "zh": (["伟", "芳", "娜", "敏", "静", "丽", "强"], ["王", "李", "张", "刘", "陈"])}


def _day(d: int) -> pd.Timestamp:
    return AS_OF + pd.Timedelta(days=d)


@st.composite
def careless_client(draw):
    locale = draw(st.sampled_from(["en", "zh"]))
    firsts, lasts = NAMES[locale]
    people = draw(st.integers(2, 6))
    recs, k = [], 0
    for p in range(people):
        email = f"p{p}@shop.example.org" if locale == "en" else f"p{p}@shop.example.cn"
        phone = (f"212555{p:04d}" if locale == "en" else f"13800{p:06d}") if draw(st.booleans()) else ""
        street = f"{p + 1} Main St" if locale == "en" else f"中山路{p + 1}号"
        for _ in range(draw(st.integers(1, 3))):                      # duplicate records across the two systems
            k += 1
            recs.append(dict(
                id=f"R{k:03d}", system=draw(st.sampled_from(["crm", "web"])), first=firsts[p % len(firsts)],
                last=lasts[p % len(lasts)],
                email=draw(st.sampled_from([email, email.upper(), f" {email} "])),
                phone=phone, street=street if draw(st.booleans()) else "", postcode=f"{10000 + p}",
                signup=draw(st.sampled_from([_day(d).strftime("%Y-%m-%d") for d in DAYS[:5]] + ["", "not a date"])),
                **{f"{ch}_flag": draw(st.sampled_from(FLAG_YES * 3 + FLAG_NO + FLAG_UNKNOWN + [""] * 2))
                   for ch in CHANNELS}))
    for _ in range(draw(st.integers(0, 3))):      # another person of the family with the same e-mail or phone
        k += 1
        other = draw(st.sampled_from(recs))
        recs.append(dict(other, id=f"R{k:03d}", system="web", first=draw(st.sampled_from(["Zed", "Yan", "小明"])),
                         email=draw(st.sampled_from([other["email"], ""])), phone=draw(st.sampled_from(
                             [other["phone"], ""])), signup=draw(st.sampled_from(["2025-01-05", ""])),
                         **{f"{ch}_flag": draw(st.sampled_from(FLAG_YES + FLAG_NO)) for ch in CHANNELS}))
    if draw(st.integers(0, 2)) == 0:                                   # one address, more records than compared
        for i in range(draw(st.integers(61, 64))):
            k += 1
            recs.append(dict(id=f"R{k:03d}", system="web", first=f"Kid{i}", last=f"Fam{i}",
                             email="fam@shop.example.org",
                             phone="", street="", postcode="", signup=_day(-400).strftime("%Y-%m-%d"),
                             email_flag="yes", sms_flag="", phone_flag="", mail_flag=""))
    emails = sorted({r["email"].strip().lower() for r in recs})
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        if draw(st.booleans()):
            e = draw(st.sampled_from(emails + ["nobody@x.org"]))
            key = dict(email=draw(st.sampled_from([e, e.upper(), f"mailto:{e}", f" MAILTO:{e.upper()} "])), cust="")
        else:
            key = dict(email="", cust=draw(st.sampled_from([r["id"] for r in recs[:20]] + ["R999"])))
        kind = draw(st.sampled_from(["known"] * 6 + ["all", "bad"]))
        channel = (draw(st.sampled_from([w for ws in CHANNEL_WORDS.values() for w in ws])) if kind == "known" else
                   draw(st.sampled_from(ALL_WORDS if kind == "all" else BAD_CHANNELS)))
        status = draw(st.sampled_from(IN_WORDS * 2 + OUT_WORDS * 2 + UNKNOWN_WORDS))
        date = draw(st.sampled_from([_day(d).strftime("%Y-%m-%d %H:%M") for d in DAYS] * 2 + ["", "yesterday"]))
        rows.append(dict(**key, channel=channel, status=status, changed=date))
    language = draw(st.sampled_from(["en", "zh"]))
    return locale, language, recs, rows


def _write(d: Path, locale: str, language: str, recs: list[dict], rows: list[dict]) -> dict:
    cust = pd.DataFrame(recs)
    for sys_ in ("crm", "web"):
        cust[cust["system"] == sys_].drop(columns="system").to_csv(d / f"{sys_}.csv", index=False)
    ids = cust["id"].tolist()
    pd.DataFrame({"order": [f"O{i}" for i in range(2 * len(ids))], "cust": ids + ids,
                  "date": ["2025-04-01"] * len(ids) + ["2025-10-01"] * len(ids),
                  "amount": [30.0 + i % 7 for i in range(2 * len(ids))]}).to_csv(d / "orders.csv", index=False)
    pd.DataFrame(rows, columns=["email", "cust", "channel", "status", "changed"]).to_csv(d / "prefs.csv", index=False)
    cols = {"customer_id": "id", "first_name": "first", "last_name": "last", "email": "email", "phone": "phone",
            "street": "street", "postal_code": "postcode", "signup_date": "signup", "email_consent": "email_flag",
            "sms_consent": "sms_flag", "phone_consent": "phone_flag", "mail_consent": "mail_flag"}
    return {"client": "prop", "workdir": str(d / "work"), "analysis_date": str(AS_OF.date()), "base_dir": str(d),
            "language": language, "currency": "CNY" if locale == "zh" else "USD",
            "data": {"default_phone_region": "CN" if locale == "zh" else "US", "sources": {
                "customers": [{"path": f"{s}.csv", "source_system": s, "columns": cols} for s in ("crm", "web")],
                "orders": [{"path": "orders.csv", "columns": {"order_id": "order", "customer_id": "cust",
                                                              "order_ts": "date", "net_amount": "amount"}}],
                "consents": [{"path": "prefs.csv", "columns": {"email": "email", "customer_id": "cust",
                                                               "channel": "channel", "status": "status",
                                                               "updated_at": "changed"}}]}}}


# ------------------------------------------------------------------------------------------------ the rules, again
def _word(w) -> str:
    return re.sub(r"[\W_]+", "", str(w or "").lower())


def _status(w) -> str | None:
    return "opt_in" if _word(w) in {_word(x) for x in IN_WORDS} else \
        "opt_out" if _word(w) in {_word(x) for x in OUT_WORDS} else None


def _flag(w) -> str | None:
    return "opt_in" if w in FLAG_YES else "opt_out" if w in FLAG_NO else None


def _date(text) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(text) if text and text != "yesterday" and text != "not a date" else None
    except ValueError:
        return None


def _evidence(recs, rows, persons: pd.Series, db_recs: pd.DataFrame) -> list[tuple]:
    """(person, channel, status, time, uncertain) for every piece of evidence, by the rules of the module doc."""
    out = []
    for r in recs:
        pid = persons.get(r["id"])
        signup = _date(r["signup"])
        for ch in CHANNELS:
            w = r[f"{ch}_flag"]
            if pid is None or w == "":
                continue
            s = _flag(w)
            if s is None:                                         # an unreadable flag: an opt-out at the sign-up
                out.append((pid, ch, "opt_out", signup or LATEST, True))
            elif signup is None:
                out.append((pid, ch, s, EARLIEST if s == "opt_in" else LATEST, s == "opt_out"))
            else:
                out.append((pid, ch, s, signup, False))
    keyed = db_recs.dropna(subset=["email"]).assign(key=lambda d: d["signup"].fillna("") + d["customer_id"])
    by_email = keyed.sort_values("key").groupby("email")["customer_id"].last()
    for row in rows:
        if row["cust"]:
            pid = persons.get(row["cust"])
        else:
            e = re.sub(r"^mailto:", "", row["email"].strip().lower()).replace(" ", "")
            pid = by_email.get(e)
        if pid is None:
            continue                                              # no person: quarantined
        s = _status(row["status"])
        cw = row["channel"]
        known = next((ch for ch, ws in CHANNEL_WORDS.items() if cw in ws), None)
        every = cw in ALL_WORDS
        chans = [known] if known else list(CHANNELS)
        t = _date(row["changed"])
        certain = s is not None and (known or every) and not (every and s == "opt_in") and (t is not None or
                                                                                          s == "opt_in")
        for ch in chans:
            if certain:
                out.append((pid, ch, s, t or EARLIEST, False))
            else:
                out.append((pid, ch, "opt_out", t or LATEST, True))
    return out


def _latest(evidence) -> dict:
    best = {}
    for pid, ch, s, t, unc in evidence:
        k = (t, s == "opt_out", unc)
        if (pid, ch) not in best or k > best[(pid, ch)][0]:
            best[(pid, ch)] = (k, s)
    return {key: s for key, (_, s) in best.items()}


def _mail_key(first, last, street, postcode) -> str | None:
    if not isinstance(street, str) or not isinstance(last, str):
        return None
    return "|".join([_word(first), _word(last), _word(street), _word(postcode)])


def _points(latest: dict, db_recs: pd.DataFrame, golden: pd.DataFrame) -> dict[str, set]:
    """Per channel, the contact details of every record (and golden record) of the people who opted out."""
    out = {}
    allrecs = pd.concat([db_recs, golden], ignore_index=True)
    for ch in CHANNELS:
        gone = {pid for (pid, c), s in latest.items() if c == ch and s == "opt_out"}
        mine = allrecs[allrecs["customer_id"].isin(gone)]
        if ch == "email":
            out[ch] = set(mine["email"].dropna())
        elif ch in ("sms", "phone"):
            out[ch] = set(mine["phone"].dropna())
        else:
            keys = mine[["first_name", "last_name", "street", "postal_code"]].values
            out[ch] = {_mail_key(*v) for v in keys} - {None}
    return out


def _read(path: Path) -> pd.DataFrame:
    sent = pd.read_csv(path, dtype=str)
    return sent.astype(object).where(sent.notna(), None)


def _check(sent: pd.DataFrame, latest: dict, points: dict) -> None:
    for r in sent.itertuples():
        ch = r.channel
        assert latest.get((r.customer_id, ch)) == "opt_in", (r.customer_id, ch, latest.get((r.customer_id, ch)))
        detail = {"email": r.email, "sms": r.phone, "phone": r.phone}.get(ch)
        if ch == "mail":
            detail = _mail_key(r.first_name, r.last_name, r.street, r.postal_code)
        assert detail not in points[ch], (r.customer_id, ch, "contact detail on the suppression list")


@pytest.mark.slow
@settings(max_examples=7, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(client=careless_client())
def test_no_opted_out_person_or_suppressed_contact_point_is_ever_sent(client):
    locale, language, recs, rows = client
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        ws = Workspace(load_config(_write(d, locale, language, recs, rows))).ensure_built()
        log = ws.sql("SELECT * FROM load_log")
        assert (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]).all()
        db_recs = ws.sql("SELECT record_id, customer_id, email, phone, first_name, last_name, street, postal_code, "
                         "CAST(signup_date AS VARCHAR) AS signup FROM customer_records")
        golden = ws.sql("SELECT customer_id, email, phone, first_name, last_name, street, postal_code FROM customers")
        persons = db_recs.set_index("record_id")["customer_id"]
        latest = _latest(_evidence(recs, rows, persons, db_recs))
        points = _points(latest, db_recs, golden)
        os.environ["DBMKIT_REPORT_OUT"] = str(d / "out")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                plans = {}
                try:
                    plans[language] = first = C.plan_campaign(ws, **EVERYONE)
                    other = "en" if language == "zh" else "zh"
                    plans[other] = C.plan_campaign(ws, reuse=first, language=other, **EVERYONE)
                except ValueError as e:                          # nobody may be contacted: a valid outcome
                    assert "nobody is left" in str(e)
            for name, plan in plans.items():
                t = plan.contacts[plan.contacts["group"] == "treatment"]
                for cid, ch in zip(t["customer_id"], t["channel"]):       # the plan itself respects the rules
                    assert latest.get((cid, ch)) == "opt_in", (name, cid, ch)
                C.export_campaign_list(ws, plan, filename=f"list_{name}", formats=("csv",))
                _check(_read(d / "out" / f"list_{name}.csv"), latest, points)
            # the export's own checks, on every channel: a contact list that plans everyone on every channel (as
            # if it had been planned before the consent files arrived) is written from campaign_contacts
            everyone = golden[["customer_id"]].merge(pd.DataFrame({"channel": CHANNELS}), how="cross").assign(
                campaign_id="OLD", cell="ALL", group="treatment", offer="WELCOME", contact_ts=_day(7),
                expected_response=0.1, expected_profit=1.0, recommended_product=None)
            ws.save("campaign_contacts", everyone)
            C.export_campaign_list(ws, filename="list_everyone", formats=("csv",))
            sent = _read(d / "out" / "list_everyone.csv")
            _check(sent, latest, points)
            assert set(sent["channel"]) <= set(CHANNELS)
        finally:
            os.environ.pop("DBMKIT_REPORT_OUT", None)
